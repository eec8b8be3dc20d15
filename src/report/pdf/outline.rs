//! The PDF's bookmarks (its document outline): level-1 headings at the top, each level-2 heading
//! under the level-1 heading before it, each jumping to its heading on its page.
//!
//! printpdf 0.12 writes bookmarks only as a flat list sorted by page and then by title, so two
//! headings on one page would come out in alphabetical order. The outline is therefore appended
//! to the finished file as an incremental update (PDF 1.7, 7.5.6): the outline objects, a new
//! version of the catalog that points at them, a cross-reference section for those objects and a
//! trailer pointing back at the original one. Every byte printpdf wrote stays where it was.

use std::fmt::Write as _;

/// A bookmark: its level (1 or 2), title, 1-based page number and the PDF y of its target.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// 1 or 2.
    pub level: u8,
    /// The heading's text.
    pub title: String,
    /// 1-based page number.
    pub page: usize,
    /// Where on the page to jump to (PDF user space, from the bottom).
    pub y: f64,
}

/// What the update needs from the original file.
struct Original {
    /// Byte offset of every object, by object number.
    offsets: Vec<Option<usize>>,
    root: usize,
    /// The trailer's `/Info` and `/ID` entries, copied as written.
    info_and_id: String,
    size: usize,
    startxref: usize,
}

/// Appends the bookmarks `marks` to the PDF `bytes`. Leaves the file as it is when it has no
/// marks or does not have the shape printpdf writes (a cross-reference table, a catalog and a
/// page tree as plain objects); returns whether the outline was added.
pub fn append(bytes: &mut Vec<u8>, marks: &[Mark]) -> bool {
    if marks.is_empty() {
        return false;
    }
    let Some(orig) = read_original(bytes) else {
        return false;
    };
    let Some(catalog) = object_body(bytes, &orig, orig.root) else {
        return false;
    };
    let Some(pages) = page_ids(bytes, &orig, &catalog) else {
        return false;
    };
    let root_id = orig.size;
    let ids: Vec<usize> = (0..marks.len()).map(|i| root_id + 1 + i).collect();
    let mut objects: Vec<(usize, String)> = Vec::with_capacity(marks.len() + 2);
    objects.push((orig.root, new_catalog(&catalog, root_id)));
    objects.push((root_id, outline_root(marks, &ids)));
    for (i, mark) in marks.iter().enumerate() {
        let Some(&page_id) = pages.get(mark.page.wrapping_sub(1)) else {
            return false;
        };
        objects.push((ids[i], item(marks, &ids, i, root_id, page_id)));
    }
    write_update(bytes, &orig, objects);
    true
}

/// Reads the cross-reference table and trailer at `startxref`.
fn read_original(bytes: &[u8]) -> Option<Original> {
    let tail_start = bytes.len().saturating_sub(64);
    let tail = std::str::from_utf8(&bytes[tail_start..]).ok()?;
    let startxref: usize = tail
        .rsplit_once("startxref")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let rest = bytes.get(startxref..)?;
    let end = find(rest, b"startxref")?;
    let section = std::str::from_utf8(&rest[..end]).ok()?;
    let (table, trailer) = section.strip_prefix("xref")?.split_once("trailer")?;
    let mut offsets: Vec<Option<usize>> = Vec::new();
    let mut tokens = table.split_whitespace();
    while let (Some(first), Some(count)) = (tokens.next(), tokens.next()) {
        let (first, count): (usize, usize) = (first.parse().ok()?, count.parse().ok()?);
        for k in 0..count {
            let (offset, _gen, kind) = (tokens.next()?, tokens.next()?, tokens.next()?);
            if offsets.len() <= first + k {
                offsets.resize(first + k + 1, None);
            }
            offsets[first + k] = (kind == "n").then(|| offset.parse().ok()).flatten();
        }
    }
    let size = number_after(trailer, "/Size")?;
    let root = number_after(trailer, "/Root")?;
    let info = trailer.find("/Info").map_or(String::new(), |at| {
        let r = &trailer[at..];
        r.find('R').map_or(String::new(), |e| r[..=e].to_string())
    });
    let id = trailer.find("/ID").map_or(String::new(), |at| {
        let r = &trailer[at..];
        r.find(']').map_or(String::new(), |e| r[..=e].to_string())
    });
    Some(Original {
        offsets,
        root,
        info_and_id: format!("{info}{id}"),
        size,
        startxref,
    })
}

/// The number after `key` (`/Size 57`, `/Root 55 0 R`).
fn number_after(text: &str, key: &str) -> Option<usize> {
    let at = text.find(key)? + key.len();
    text[at..]
        .split_whitespace()
        .next()?
        .trim_end_matches(['/', '>'])
        .parse()
        .ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The dictionary of object `id` (`<<...>>`, without `N 0 obj` and `endobj`).
fn object_body(bytes: &[u8], orig: &Original, id: usize) -> Option<String> {
    let start = (*orig.offsets.get(id)?)?;
    let rest = bytes.get(start..)?;
    let end = find(rest, b"endobj")?;
    let text = std::str::from_utf8(&rest[..end]).ok()?;
    let open = text.find("<<")?;
    let close = text.rfind(">>")?;
    Some(text[open..close + 2].to_string())
}

/// The page objects in page order, from the catalog's page tree (one level of `/Kids`, as
/// printpdf writes it).
fn page_ids(bytes: &[u8], orig: &Original, catalog: &str) -> Option<Vec<usize>> {
    let pages = number_after(catalog, "/Pages")?;
    let tree = object_body(bytes, orig, pages)?;
    let kids = &tree[tree.find("/Kids")? + 5..];
    let list = &kids[kids.find('[')? + 1..kids.find(']')?];
    let numbers: Vec<&str> = list.split_whitespace().collect();
    numbers.chunks(3).map(|r| r.first()?.parse().ok()).collect()
}

/// The catalog with the outline and the reader told to show it.
fn new_catalog(catalog: &str, outline: usize) -> String {
    let body = catalog
        .trim_end_matches(">>")
        .replace("/PageMode/UseNone", "")
        .replace("/PageMode /UseNone", "");
    format!("{body}/PageMode/UseOutlines/Outlines {outline} 0 R>>")
}

/// The children of `parent` (`None`: the top level): level-1 marks, and level-2 marks before
/// the first level-1 one; under a level-1 mark, the level-2 marks up to the next level 1.
fn children(marks: &[Mark], parent: Option<usize>) -> Vec<usize> {
    match parent {
        None => (0..marks.len())
            .filter(|&i| marks[i].level == 1 || !marks[..i].iter().any(|m| m.level == 1))
            .collect(),
        Some(p) => (p + 1..marks.len())
            .take_while(|&i| marks[i].level != 1)
            .collect(),
    }
}

fn outline_root(marks: &[Mark], ids: &[usize]) -> String {
    let top = children(marks, None);
    let (first, last) = (top[0], top[top.len() - 1]);
    format!(
        "<</Type/Outlines/First {} 0 R/Last {} 0 R/Count {}>>",
        ids[first],
        ids[last],
        marks.len()
    )
}

/// The outline item of mark `i`: open, so a reader shows the level-2 headings.
fn item(marks: &[Mark], ids: &[usize], i: usize, root: usize, page: usize) -> String {
    let m = &marks[i];
    let parent = (m.level != 1)
        .then(|| (0..i).rev().find(|&j| marks[j].level == 1))
        .flatten();
    let siblings = children(marks, parent);
    let at = siblings.iter().position(|&s| s == i).unwrap_or(0);
    let mut s = format!(
        "<</Title {}/Parent {} 0 R/Dest[{page} 0 R/XYZ null {:.2} null]",
        utf16_hex(&m.title),
        parent.map_or(root, |p| ids[p]),
        m.y
    );
    if at > 0 {
        let _ = write!(s, "/Prev {} 0 R", ids[siblings[at - 1]]);
    }
    if let Some(next) = siblings.get(at + 1) {
        let _ = write!(s, "/Next {} 0 R", ids[*next]);
    }
    let kids = if m.level == 1 {
        children(marks, Some(i))
    } else {
        Vec::new()
    };
    if let (Some(first), Some(last)) = (kids.first(), kids.last()) {
        let _ = write!(
            s,
            "/First {} 0 R/Last {} 0 R/Count {}",
            ids[*first],
            ids[*last],
            kids.len()
        );
    }
    s.push_str(">>");
    s
}

/// A text string as UTF-16BE with a byte-order mark, in hex: any script survives.
fn utf16_hex(text: &str) -> String {
    let mut s = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(s, "{unit:04X}");
    }
    s.push('>');
    s
}

/// Appends the objects, their cross-reference section and the new trailer.
fn write_update(bytes: &mut Vec<u8>, orig: &Original, mut objects: Vec<(usize, String)>) {
    objects.sort_by_key(|(id, _)| *id);
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let mut offsets = Vec::with_capacity(objects.len());
    for (id, body) in &objects {
        offsets.push((*id, bytes.len()));
        bytes.extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = bytes.len();
    let mut table = String::from("xref\n");
    // One subsection per run of consecutive object numbers.
    let mut k = 0;
    while k < offsets.len() {
        let mut end = k + 1;
        while end < offsets.len() && offsets[end].0 == offsets[end - 1].0 + 1 {
            end += 1;
        }
        let _ = writeln!(table, "{} {}", offsets[k].0, end - k);
        for (_, off) in &offsets[k..end] {
            let _ = write!(table, "{off:010} 00000 n\r\n");
        }
        k = end;
    }
    let size = objects
        .iter()
        .map(|(id, _)| id + 1)
        .max()
        .unwrap_or(0)
        .max(orig.size);
    let _ = write!(
        table,
        "trailer\n<</Size {size}/Root {} 0 R{}/Prev {}>>\nstartxref\n{xref}\n%%EOF\n",
        orig.root, orig.info_and_id, orig.startxref
    );
    bytes.extend_from_slice(table.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(level: u8, title: &str) -> Mark {
        Mark {
            level,
            title: title.to_string(),
            page: 1,
            y: 700.0,
        }
    }

    #[test]
    fn level_two_marks_nest_under_the_level_one_before_them() {
        let marks = [
            mark(2, "Before any chapter"),
            mark(1, "One"),
            mark(2, "One.a"),
            mark(2, "One.b"),
            mark(1, "Two"),
        ];
        assert_eq!(children(&marks, None), vec![0, 1, 4]);
        assert_eq!(children(&marks, Some(1)), vec![2, 3]);
        assert_eq!(children(&marks, Some(4)), Vec::<usize>::new());
    }

    #[test]
    fn titles_are_utf16() {
        assert_eq!(utf16_hex("Aé"), "<FEFF004100E9>");
        assert_eq!(utf16_hex("😀"), "<FEFFD83DDE00>");
    }

    #[test]
    fn a_file_of_another_shape_is_left_alone() {
        let mut bytes = b"%PDF-1.7\nnot what printpdf writes\n%%EOF\n".to_vec();
        let before = bytes.clone();
        assert!(!append(&mut bytes, &[mark(1, "One")]));
        assert_eq!(bytes, before);
    }
}
