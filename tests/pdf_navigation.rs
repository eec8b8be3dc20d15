//! A document a board can navigate, read back from the PDF with tools other than powerbase: the
//! bookmarks (qpdf's JSON outline) hold the level-1 and level-2 headings of report.md, each
//! pointing at the page where pdftotext finds it; the contents page's numbers are those pages;
//! exhibits are numbered 1, 2, 3... in reading order and the text refers to them by those
//! numbers; `report.brand` puts its colours into the content streams (qpdf's uncompressed form)
//! and into the SVG charts, recolouring the default palette by role and nothing else; bad
//! `report.brand` and `report.contents` values are `check` errors at their line.
//!
//! Needs poppler-utils (pdftotext, pdfinfo) and qpdf (`apt-get install poppler-utils qpdf`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use powerbase::report::style::{Brand, Rgb};
use support::*;

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name} ({e}); install poppler-utils and qpdf"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The CDNOW example in a temporary folder with `keys` added under `report:`, run with a fixed
/// date of issue; returns the folder (outputs in `out/`).
fn cdnow_run(keys: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo().join("examples/cdnow"), ws);
    let policy = std::fs::read_to_string(ws.join("powerbase.yaml")).unwrap();
    let policy = policy.replacen("\nreport:\n", &format!("\nreport:\n{keys}"), 1);
    std::fs::write(ws.join("powerbase.yaml"), policy).unwrap();
    run_ok(
        ws,
        &["--quiet", "--issued", "2026-12-03", "--no-provenance"],
    );
    tmp
}

fn pdf(ws: &Path) -> String {
    ws.join("out/report.pdf").display().to_string()
}

/// Text as compared here: one space between words, typographic apostrophes and Markdown escapes
/// undone.
fn squash(s: &str) -> String {
    s.replace(['\u{2019}', '\u{2018}'], "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The level-1 and level-2 headings of report.md, as the reader sees them.
fn md_headings(ws: &Path) -> Vec<(u8, String)> {
    let md = std::fs::read_to_string(ws.join("out/report.md")).unwrap();
    let body = md.split_once("\n---\n").unwrap().1;
    body.lines()
        .filter_map(|l| {
            let (level, text) = if let Some(t) = l.strip_prefix("## ") {
                (2, t)
            } else {
                (1, l.strip_prefix("# ")?)
            };
            Some((level, squash(&text.replace('\\', ""))))
        })
        .collect()
}

fn page_count(pdf: &str) -> usize {
    tool("pdfinfo", &[pdf])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Each page's text, squashed; index 0 is page 1.
fn pages(pdf: &str) -> Vec<String> {
    (1..=page_count(pdf))
        .map(|p| {
            let p = p.to_string();
            squash(&tool("pdftotext", &["-f", &p, "-l", &p, pdf, "-"]))
        })
        .collect()
}

/// The destinations (`[page, /XYZ, left, top, zoom]`) of the outline's items, depth first, and
/// of the links on page `page`, in order, as qpdf reads them.
fn destinations(pdf: &str, page: usize) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    fn walk(items: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        for item in items.as_array().unwrap() {
            out.push(item["dest"].clone());
            walk(&item["kids"], out);
        }
    }
    let json: serde_json::Value = serde_json::from_str(&tool(
        "qpdf",
        &[
            "--json=2",
            "--json-key=outlines",
            "--json-key=pages",
            "--json-key=qpdf",
            pdf,
        ],
    ))
    .unwrap();
    let mut marks = Vec::new();
    walk(&json["outlines"], &mut marks);
    let object = json["pages"][page - 1]["object"].as_str().unwrap();
    let annots = &json["qpdf"][1][format!("obj:{object}")]["value"]["/Annots"];
    let links = annots
        .as_array()
        .map(|a| a.iter().map(|l| l["/A"]["/D"].clone()).collect())
        .unwrap_or_default();
    (marks, links)
}

/// The outline as qpdf reads it: (depth, title, 1-based page), depth first.
fn outline(pdf: &str) -> Vec<(u8, String, usize)> {
    fn walk(items: &serde_json::Value, depth: u8, out: &mut Vec<(u8, String, usize)>) {
        for item in items.as_array().unwrap() {
            out.push((
                depth,
                item["title"].as_str().unwrap().to_string(),
                item["destpageposfrom1"].as_u64().unwrap() as usize,
            ));
            walk(&item["kids"], depth + 1, out);
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&tool("qpdf", &["--json=2", "--json-key=outlines", pdf])).unwrap();
    let mut out = Vec::new();
    walk(&json["outlines"], 1, &mut out);
    out
}

#[test]
fn bookmarks_and_contents_lead_to_the_pages_of_the_headings() {
    let tmp = cdnow_run("");
    let ws = tmp.path();
    let pdf = pdf(ws);
    let headings = md_headings(ws);
    assert!(headings.len() > 10, "{headings:?}");
    let pages = pages(&pdf);
    assert!(pages.len() > 5, "a body of more than 4 pages");
    tool("qpdf", &["--check", &pdf]);

    // The bookmarks: every heading, in order, level 2 nested under the level-1 title.
    let marks = outline(&pdf);
    let titles: Vec<(u8, String)> = marks.iter().map(|(d, t, _)| (*d, squash(t))).collect();
    assert_eq!(titles, headings);

    // The contents page follows the title page and lists every heading with a page number.
    assert!(pages[1].starts_with("CDNOW Who are CDNOW's core customers? Contents"));
    let contents = &squash(&tool(
        "pdftotext",
        &["-layout", "-f", "2", "-l", "2", &pdf, "-"],
    ));
    let mut from = contents.find("Contents").unwrap();
    for ((_, title), (_, _, marked)) in headings.iter().zip(&marks) {
        let at = from
            + contents[from..].find(title.as_str()).unwrap_or_else(|| {
                panic!("{title:?} is not in the contents after {from}: {contents}")
            });
        let rest = contents[at + title.len()..].trim_start_matches([' ', '.']);
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let listed: usize = digits.parse().unwrap_or_else(|_| panic!("{title}: {rest}"));
        from = at + title.len();
        // The contents, the bookmark and pdftotext agree on the page.
        assert_eq!(listed, *marked, "{title}");
        assert!(listed > 2, "{title} is in the body");
        assert!(
            pages[listed - 1].contains(title.as_str()),
            "{title:?} is not on page {listed}: {}",
            pages[listed - 1]
        );
        assert!(
            !pages[2..listed - 1]
                .iter()
                .any(|p| p.contains(title.as_str())),
            "{title:?} is on a page before {listed}"
        );
    }
    // Each contents entry links to where its bookmark leads.
    let (to_marks, to_links) = destinations(&pdf, 2);
    assert_eq!(to_links.len(), headings.len());
    for (link, mark) in to_links.iter().zip(&to_marks) {
        assert_eq!((&link[0], &link[1]), (&mark[0], &mark[1]), "same page");
        let (y1, y2) = (link[3].as_f64().unwrap(), mark[3].as_f64().unwrap());
        assert!((y1 - y2).abs() < 0.01, "same place: {link} {mark}");
    }

    // Body pages are numbered after the contents page.
    let n = pages.len();
    assert!(pages[2].contains(&format!("Page 3 of {n}")));
    assert!(pages[n - 1].contains(&format!("Page {n} of {n}")));

    // The document information: title, author, subject, no custom entries.
    let info = tool("pdfinfo", &["-isodates", &pdf]);
    for line in [
        "Title:           Who are CDNOW's core customers?",
        "Author:          powerbase example workspace",
        "Subject:         CDNOW - 1998-06-30",
        "CreationDate:    2026-12-03",
        "Custom Metadata: no",
    ] {
        assert!(info.contains(line), "{line:?} not in:\n{info}");
    }
    assert!(!info.contains("PDF subtype"), "no PDF/X claim:\n{info}");
}

#[test]
fn exhibits_are_numbered_in_order_and_the_text_refers_to_them_by_number() {
    let tmp = cdnow_run("  contents: false\n");
    let ws = tmp.path();
    let pdf = pdf(ws);
    let pages = pages(&pdf);
    assert!(!pages[1].contains("Contents"), "contents: false");
    assert!(!outline(&pdf).is_empty(), "bookmarks either way");
    let text = pages.join(" ");

    // Captions: "Exhibit N. <the chart's alt text in report.md>", N = 1, 2, 3... in order.
    let md = std::fs::read_to_string(ws.join("out/report.md")).unwrap();
    let alts: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("![") && l.contains("](charts/"))
        .map(|l| &l[2..l.find("](").unwrap()])
        .collect();
    assert!(alts.len() >= 4, "{alts:?}");
    let mut from = 0;
    for (i, alt) in alts.iter().enumerate() {
        let caption = format!("Exhibit {}. {}", i + 1, squash(alt));
        let at = text[from..]
            .find(&caption)
            .unwrap_or_else(|| panic!("{caption:?} not found after {from}"));
        from += at + caption.len();
    }
    assert!(!text.contains(&format!("Exhibit {}.", alts.len() + 1)));

    // References: "Exhibit N" in running text names an exhibit that exists, and every exhibit is
    // referred to at least once in this report.
    let mut referred = BTreeSet::new();
    for (at, _) in text.match_indices("Exhibit ") {
        let rest = &text[at + 8..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: usize = digits.parse().expect("a number after Exhibit");
        if !rest[digits.len()..].starts_with('.') {
            assert!((1..=alts.len()).contains(&n), "Exhibit {n} does not exist");
            referred.insert(n);
        }
    }
    assert_eq!(referred, (1..=alts.len()).collect::<BTreeSet<_>>());
    // The Markdown carries the same numbers.
    assert!(md.contains("Ranked by revenue (Exhibit 2)"));
}

/// The fill and stroke colours of the PDF's content streams, with how often each is set.
fn colours(pdf: &str) -> BTreeMap<Rgb, usize> {
    let out = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable", pdf, "-"])
        .output()
        .expect("qpdf is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = BTreeMap::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [r, g, b, "rg" | "RG"] = parts.as_slice() {
            let byte = |s: &str| (s.parse::<f64>().unwrap() * 255.0).round() as u8;
            *found.entry(Rgb(byte(r), byte(g), byte(b))).or_insert(0) += 1;
        }
    }
    found
}

#[test]
fn the_brand_recolours_the_palette_by_role_and_nothing_else() {
    let plain = cdnow_run("");
    let branded = cdnow_run("  brand: { primary: \"#0b5d3b\", accent: \"#c8102e\" }\n");
    let (primary, accent) = (Rgb(0x0b, 0x5d, 0x3b), Rgb(0xc8, 0x10, 0x2e));
    let navy = Rgb(0x1f, 0x3a, 0x5f);
    let before = colours(&pdf(plain.path()));
    let after = colours(&pdf(branded.path()));
    assert!(before.contains_key(&navy) && !before.contains_key(&primary));
    assert!(!before.contains_key(&accent));
    assert!(after.contains_key(&primary) && after.contains_key(&accent));
    assert!(!after.contains_key(&navy), "no default heading colour left");
    // Every colour of the plain report, recoloured by role, gives the branded report's colours,
    // each set as often: the brand changes the colours and nothing else.
    let brand = Brand {
        primary,
        accent: Some(accent),
    };
    let mut mapped: BTreeMap<Rgb, usize> = BTreeMap::new();
    for (c, n) in &before {
        *mapped.entry(brand.recolour(*c)).or_insert(0) += n;
    }
    assert_eq!(mapped, after);
    // Neutral text keeps its colour: body text is the same dark grey-blue in both.
    let ink = Rgb(0x1a, 0x24, 0x33);
    assert_eq!(before.get(&ink), after.get(&ink));

    // The SVG charts carry the brand as well.
    let svg = |ws: &Path, name: &str| {
        std::fs::read_to_string(ws.join(format!("out/charts/{name}.svg"))).unwrap()
    };
    let pareto = svg(branded.path(), "pareto");
    assert!(pareto.contains("#0b5d3b") && !pareto.contains("#1f3a5f"));
    assert!(svg(plain.path(), "pareto").contains("#1f3a5f"));
    assert!(svg(branded.path(), "tiers").contains("#c8102e"));
}

#[test]
fn bad_brand_colours_and_contents_values_are_check_errors_at_their_line() {
    for (keys, code, needle) in [
        (
            "  brand:\n    primary: navy\n",
            "report/bad-colour",
            "report.brand.primary",
        ),
        (
            "  brand:\n    primary: \"#1f3a5f\"\n    accent: \"#12345\"\n",
            "report/bad-colour",
            "report.brand.accent",
        ),
        (
            "  brand:\n    primary: #1f3a5f\n",
            "report/bad-colour",
            "quotes",
        ),
        (
            "  contents: sometimes\n",
            "report/bad-contents",
            "sometimes",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path();
        copy_dir(&repo().join("examples/cdnow"), ws);
        let policy = std::fs::read_to_string(ws.join("powerbase.yaml")).unwrap();
        let policy = policy.replacen("\nreport:\n", &format!("\nreport:\n{keys}"), 1);
        std::fs::write(ws.join("powerbase.yaml"), &policy).unwrap();
        // The line of the offending key.
        let last = keys.lines().last().unwrap();
        let line = policy.lines().position(|l| l == last).unwrap() + 1;
        let err = check_err(ws);
        assert!(
            err.contains(code)
                && err.contains(&format!("powerbase.yaml:{line}:"))
                && err.contains(needle),
            "{keys}: {err}"
        );
    }
}

#[test]
fn a_short_report_has_no_contents_page_unless_asked() {
    let md = |contents: &str| {
        format!(
            "---\ntitle: Short\nclient: Acme\nas_of: 2026-06-30\n{contents}---\n\n# Short\n\n## One\n\nText.\n\n## Two\n\nMore text.\n"
        )
    };
    let charts = BTreeMap::new();
    let auto = powerbase::report::pdf::render(&md(""), &charts).unwrap();
    assert_eq!(auto.pages, 2, "title page and one body page");
    let forced = powerbase::report::pdf::render(&md("contents: true\n"), &charts).unwrap();
    assert_eq!(forced.pages, 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.pdf");
    std::fs::write(&path, &forced.bytes).unwrap();
    let path = path.display().to_string();
    let pages = pages(&path);
    let contents = squash(&tool(
        "pdftotext",
        &["-layout", "-f", "2", "-l", "2", &path, "-"],
    ));
    let contents = &contents[contents.find("Contents").unwrap()..];
    for entry in ["Short ", "One ", "Two "] {
        let after = &contents[contents.find(entry).unwrap() + entry.len()..];
        assert!(
            after.trim_start_matches([' ', '.']).starts_with('3'),
            "{contents}"
        );
    }
    assert!(pages[1].contains("Page 2 of 3"), "{}", pages[1]);
    let marks = outline(&path);
    assert_eq!(
        marks,
        vec![
            (1, "Short".to_string(), 3),
            (2, "One".to_string(), 3),
            (2, "Two".to_string(), 3)
        ]
    );
}

const SMALL_POLICY: &str = "client: T\ncurrency: USD\nas_of: 2024-06-30\ndata:\n  transactions:\n    path: data/transactions.csv\n    columns: { customer_id: id, date: date, amount: amount }\ntiers:\n  - name: First\n    when: revenue >= 100\n  - name: Rest\n";
const SMALL_CSV: &str =
    "id,date,amount\na,2024-01-05,150.00\nb,2024-02-01,20.00\nd,2024-03-02,300.00\n";

#[test]
fn a_workspace_template_refers_to_exhibits_before_and_after_them() {
    let template = "---\ntitle: T\nclient: T\nas_of: 2024-06-30\n---\n# T\n\n{{ exhibit(name=\"pareto\") }} follows {{ exhibit(name=\"tiers\") }}.\n\n{{ chart(name=\"tiers\") }}\n\n{{ chart(name=\"pareto\") }}\n\nAs {{ exhibit(name=\"tiers\") }} showed.\n";
    let ws = workspace(
        SMALL_POLICY,
        Some(SMALL_CSV),
        &[("templates/report.md", template)],
    );
    run_ok(ws.path(), &["--quiet", "--no-provenance"]);
    let md = std::fs::read_to_string(ws.path().join("out/report.md")).unwrap();
    assert!(md.contains("Exhibit 2 follows Exhibit 1."), "{md}");
    assert!(md.contains("As Exhibit 1 showed."), "{md}");

    let unshown = "---\ntitle: T\nclient: T\nas_of: 2024-06-30\n---\n# T\n\nSee {{ exhibit(name=\"whale\") }}.\n\n{{ chart(name=\"tiers\") }}\n";
    let ws = workspace(
        SMALL_POLICY,
        Some(SMALL_CSV),
        &[("templates/report.md", unshown)],
    );
    let err = check_err(ws.path());
    assert!(
        err.contains("report/exhibit-not-shown") && err.contains("whale"),
        "{err}"
    );
}
