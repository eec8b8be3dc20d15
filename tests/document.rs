//! The documents' marking (`report.issued`, `report.status`, `report.classification`, `run
//! --issued`, `SOURCE_DATE_EPOCH`): on the title page, in every body page's footer, in report.md's
//! front matter and as the PDF's creation date; never in summary.json; and no PDF/X claim.

mod support;

use std::path::Path;
use std::process::Command;

use support::*;

/// The CDNOW example in a temporary folder, with `extra` added under `report:`.
fn cdnow_with(report_keys: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    copy_dir(&repo().join("examples/cdnow"), ws);
    let policy = std::fs::read_to_string(ws.join("powerbase.yaml")).unwrap();
    let policy = policy.replacen("\nreport:\n", &format!("\nreport:\n{report_keys}"), 1);
    assert!(
        policy.contains(report_keys),
        "the example has a report: section"
    );
    std::fs::write(ws.join("powerbase.yaml"), policy).unwrap();
    tmp
}

/// The text of page `page` of the PDF, laid out.
fn page_text(pdf: &Path, page: u32) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("poppler-utils is installed");
    String::from_utf8(out.stdout).unwrap()
}

/// `pdfinfo -isodates` of the PDF.
fn pdfinfo(pdf: &Path) -> String {
    let out = Command::new("pdfinfo")
        .arg("-isodates")
        .arg(pdf)
        .output()
        .expect("poppler-utils is installed");
    String::from_utf8(out.stdout).unwrap()
}

/// The value of `key:` in report.md's front matter.
fn front_matter(dir: &Path, key: &str) -> Option<String> {
    let md = std::fs::read_to_string(dir.join("out/report.md")).unwrap();
    let block = md.split("\n---").next().unwrap();
    block
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .map(|v| v.trim_matches('"').to_string())
}

#[test]
fn a_draft_marked_confidential_says_so_on_every_page() {
    let tmp = cdnow_with("  status: draft\n  classification: Confidential - board only\n");
    let ws = tmp.path();
    powerbase()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["run", "--quiet", "--issued", "2026-12-03"])
        .arg(ws)
        .assert()
        .success();
    let pdf = ws.join("out/report.pdf");
    let title = page_text(&pdf, 1);
    for needle in [
        "DRAFT · CONFIDENTIAL - BOARD ONLY",
        "ISSUED",
        "2026-12-03",
        "AS OF",
        "1998-06-30",
    ] {
        assert!(
            title.contains(needle),
            "title page lacks {needle:?}:\n{title}"
        );
    }
    let info = pdfinfo(&pdf);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages > 3);
    for page in 2..=pages {
        let text = page_text(&pdf, page);
        let footer = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
        assert!(
            footer.contains("As of 1998-06-30 · Issued 2026-12-03")
                && footer.contains("DRAFT · Confidential - board only")
                && footer.contains(&format!("Page {page} of {pages}")),
            "page {page} footer: {footer:?}"
        );
    }
    for key in ["CreationDate:", "ModDate:"] {
        let date = info.lines().find_map(|l| l.strip_prefix(key)).unwrap_or("");
        assert!(date.trim().starts_with("2026-12-03"), "{key} {date}");
    }
    assert!(
        !info.contains("PDF subtype") && !info.contains("PDF/X"),
        "no PDF/X claim: {info}"
    );
    assert_eq!(front_matter(ws, "issued").as_deref(), Some("2026-12-03"));
    assert_eq!(front_matter(ws, "status").as_deref(), Some("draft"));
    assert_eq!(
        front_matter(ws, "classification").as_deref(),
        Some("Confidential - board only")
    );
    // summary.json describes the data and the policy: it compares across days.
    let summary = std::fs::read_to_string(ws.join("out/summary.json")).unwrap();
    assert!(!summary.contains("2026-12-03") && !summary.contains("issued"));
}

#[test]
fn the_date_of_issue_comes_from_the_flag_the_policy_the_environment_or_today() {
    let tmp = cdnow_with("  issued: 2026-01-31\n  status: v2.1\n");
    let ws = tmp.path();
    let issued = |args: &[&str], epoch: Option<&str>| {
        let mut cmd = powerbase();
        cmd.env_remove("SOURCE_DATE_EPOCH");
        if let Some(e) = epoch {
            cmd.env("SOURCE_DATE_EPOCH", e);
        }
        cmd.args(["run", "--quiet", "--no-provenance"])
            .arg(ws)
            .args(args);
        cmd.assert().success();
        front_matter(ws, "issued").unwrap()
    };
    // 1 700 000 000 s after 1970-01-01 is 2023-11-14 22:13:20 UTC.
    assert_eq!(
        issued(&["--issued", "2026-02-02"], Some("1700000000")),
        "2026-02-02"
    );
    assert_eq!(issued(&[], Some("1700000000")), "2026-01-31");
    let title = page_text(&ws.join("out/report.pdf"), 1);
    assert!(
        title.contains("VERSION") && title.contains("v2.1"),
        "{title}"
    );
    assert!(!title.contains("DRAFT"), "{title}");

    let policy = std::fs::read_to_string(ws.join("powerbase.yaml")).unwrap();
    std::fs::write(
        ws.join("powerbase.yaml"),
        policy.replace("  issued: 2026-01-31\n", ""),
    )
    .unwrap();
    assert_eq!(issued(&[], Some("1700000000")), "2023-11-14");
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let today = powerbase::data::Day((seconds / 86_400) as i32).to_string();
    let got = issued(&[], None);
    // Around midnight UTC the run may see the next day.
    assert!(got >= today && got.len() == 10, "{got} vs {today}");
}

#[test]
fn a_bad_date_of_issue_is_an_error_and_writes_nothing() {
    let tmp = cdnow_with("  issued: 31/01/2026\n");
    let ws = tmp.path();
    let out = powerbase().arg("check").arg(ws).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("report/bad-issued")
            && err.contains("31/01/2026")
            && err.contains("powerbase.yaml:"),
        "{err}"
    );

    let tmp = cdnow_with("");
    let ws = tmp.path();
    let out = powerbase()
        .env("SOURCE_DATE_EPOCH", "last tuesday")
        .args(["run", "--quiet"])
        .arg(ws)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("SOURCE_DATE_EPOCH") && err.contains("last tuesday"),
        "{err}"
    );
    assert!(!ws.join("out").exists(), "a failed run writes nothing");
}
