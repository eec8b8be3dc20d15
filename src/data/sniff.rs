//! The layout of a delimited text file that is not configured: the delimiter sniffed from the
//! header and the first records, the footer lines at the end (`skip_footer`) and a totals line
//! ("Summe", "Total", ...) that must never be read as a customer.

use csv::ByteRecord;

/// The delimiters tried when `delimiter:` is absent, with their names for messages.
const CANDIDATES: [(u8, &str); 4] = [(b',', "','"), (b';', "';'"), (b'\t', "tab"), (b'|', "'|'")];

/// Records (after the header) the sniffer looks at.
const SNIFF_RECORDS: usize = 20;

/// The name of a delimiter, for messages and summary.json (`tab` for a tab).
pub(crate) fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        d => (d as char).to_string(),
    }
}

/// The delimiter of `sample` (text starting at the header; `eof` when it holds the rest of the
/// file): among `,` `;` tab `|`, the one that splits the header into more than one field and
/// every one of the first records into as many (quote-aware, as the csv parser reads). When the
/// sample ends the file, its last record is not used (it may be a totals or footer line); a
/// record cut off by the end of the sample is not used either. `Err` holds the message when no
/// candidate or more than one fits.
pub(crate) fn sniff_delimiter(sample: &[u8], eof: bool, skip_footer: u64) -> Result<u8, String> {
    let mut fits = Vec::new();
    for (d, _) in CANDIDATES {
        let counts = field_counts(sample, d);
        // Records complete in the sample: all but the last unless the file ends there.
        let complete = if eof {
            counts.len()
        } else {
            counts.len().saturating_sub(1)
        };
        let mut keep = complete.min(SNIFF_RECORDS + 1);
        if eof && keep == complete {
            keep = keep.saturating_sub(1 + skip_footer as usize).max(1);
        }
        let Some((&header, rest)) = counts[..keep.min(counts.len())].split_first() else {
            continue;
        };
        if header > 1 && rest.iter().all(|&n| n == header) {
            fits.push(d);
        }
    }
    match fits.as_slice() {
        [d] => Ok(*d),
        [] => Err("cannot tell the delimiter: none of ',' ';' tab '|' splits the header and the first rows into the same number of columns (more than one); set `delimiter:` in the source".to_string()),
        many => Err(format!(
            "cannot tell the delimiter: {} all split the header and the first rows into the same number of columns; set `delimiter:` in the source",
            many.iter()
                .map(|&d| CANDIDATES.iter().find(|c| c.0 == d).map_or("?", |c| c.1))
                .collect::<Vec<_>>()
                .join(" and ")
        )),
    }
}

/// The field count of each of the first records of `sample` with delimiter `d`.
fn field_counts(sample: &[u8], d: u8) -> Vec<usize> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(d)
        .from_reader(sample);
    let mut record = ByteRecord::new();
    let mut out = Vec::new();
    while out.len() <= SNIFF_RECORDS + 1 {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => out.push(record.len()),
            _ => break,
        }
    }
    out
}

/// The length of `buf` without the line breaks (blank lines) at its end.
fn trimmed_len(buf: &[u8]) -> usize {
    buf.len()
        - buf
            .iter()
            .rev()
            .take_while(|&&c| c == b'\n' || c == b'\r')
            .count()
}

/// Where the last `k` lines of `buf` start (line breaks at the very end not counted as lines);
/// `buf.len()` for `k = 0`; `None` when `buf` has fewer than `k` lines. `nl` is the line
/// terminator.
pub(crate) fn last_lines_start(buf: &[u8], k: u64, nl: u8) -> Option<usize> {
    if k == 0 {
        return Some(buf.len());
    }
    let mut end = trimmed_len(buf);
    let mut start = end;
    for _ in 0..k {
        if end == 0 {
            return None;
        }
        start = memchr::memrchr(nl, &buf[..end]).map_or(0, |i| i + 1);
        end = start.saturating_sub(1);
    }
    Some(start)
}

/// The totals words, lower case: a last line whose customer id (or, with an empty id, first
/// column) is one of them is a totals line.
pub(crate) const TOTALS_WORDS: [&str; 5] = ["summe", "total", "gesamt", "totals", "grand total"];

/// Whether a record is a totals line: its customer id column, or its first column while the id
/// column is empty, holds one of [`TOTALS_WORDS`] (case-insensitive, a trailing `:` allowed).
pub(crate) fn is_totals(record: &ByteRecord, id_field: usize) -> bool {
    is_totals_with(|i| Some(record.get(i).unwrap_or(b"")), id_field)
}

/// [`is_totals`] over any row (a spreadsheet's too): `cell` gives a field's text, `None` for a
/// value that is not text (a number: neither empty nor a totals word).
pub(crate) fn is_totals_with<'a>(
    cell: impl Fn(usize) -> Option<&'a [u8]>,
    id_field: usize,
) -> bool {
    let word = |i: usize| {
        let b = cell(i)?.trim_ascii();
        let b = b.strip_suffix(b":").unwrap_or(b).trim_ascii();
        Some(
            std::str::from_utf8(b)
                .map(str::to_lowercase)
                .unwrap_or_default(),
        )
    };
    let is_word = |w: &Option<String>| w.as_deref().is_some_and(|w| TOTALS_WORDS.contains(&w));
    let id = word(id_field);
    is_word(&id) || (id.as_deref() == Some("") && is_word(&word(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_delimiter_that_splits_every_row_alike() {
        let semi = b"Kunde;Datum;Betrag\nK-1;01.02.2024;12,50\nK-2;02.02.2024;\"1.234,00\"\n";
        assert_eq!(sniff_delimiter(semi, true, 0), Ok(b';'));
        let comma = b"id,date,amount\n1,2024-01-02,12.50\n2,2024-01-03,\"1,234.00\"\n";
        assert_eq!(sniff_delimiter(comma, true, 0), Ok(b','));
        let tab = b"id\tname\n1\tA; B, C\n";
        assert_eq!(sniff_delimiter(tab, false, 0), Ok(b'\t'));
        let pipe = b"id|name\n1|x\n2|y\n";
        assert_eq!(sniff_delimiter(pipe, true, 0), Ok(b'|'));
        // A quoted field with the other candidate and a line break inside does not count.
        let quoted = b"id;name\n1;\"Smith, J;\nLondon\"\n2;x\n";
        assert_eq!(sniff_delimiter(quoted, true, 0), Ok(b';'));
        // The last record of a short file (a totals line) is not used.
        let totals = b"Kunde;Betrag\nK-1;12,50\nK-2;1,00\nSumme 13,50\n";
        assert_eq!(sniff_delimiter(totals, true, 0), Ok(b';'));
        // A record cut off by the end of the sample is not used.
        assert_eq!(sniff_delimiter(b"a;b\n1;2\n3", false, 0), Ok(b';'));
        let e = sniff_delimiter(b"a;b,c\n1;2,3\n", true, 0).unwrap_err();
        assert!(
            e.contains("',' and ';'") && e.contains("`delimiter:`"),
            "{e}"
        );
        let e = sniff_delimiter(b"just one column\n1\n", true, 0).unwrap_err();
        assert!(e.contains("none of"), "{e}");
        // Rows that disagree with the header: no candidate.
        assert!(sniff_delimiter(b"a;b\n1;2;3\n4;5\n6;7\n", true, 0).is_err());
    }

    #[test]
    fn last_lines() {
        let buf = b"r1\nr2\nTotal\n\n";
        assert_eq!(last_lines_start(buf, 1, b'\n'), Some(6));
        assert_eq!(last_lines_start(buf, 2, b'\n'), Some(3));
        assert_eq!(last_lines_start(buf, 3, b'\n'), Some(0));
        assert_eq!(last_lines_start(buf, 4, b'\n'), None);
        assert_eq!(last_lines_start(buf, 0, b'\n'), Some(buf.len()));
        assert_eq!(last_lines_start(b"a\r\nb\r\nSumme", 1, b'\n'), Some(6));
        assert_eq!(last_lines_start(b"a\rb\r", 1, b'\r'), Some(2));
    }

    #[test]
    fn totals_lines() {
        let rec = |cells: &[&str]| ByteRecord::from(cells.to_vec());
        assert!(is_totals(&rec(&["Summe", "", "1.234,50"]), 0));
        assert!(is_totals(&rec(&["", "TOTAL:", "9"]), 1));
        assert!(is_totals(&rec(&["Grand Total", "", "9"]), 1));
        assert!(is_totals(&rec(&["Gesamt", "", "9"]), 1));
        assert!(!is_totals(&rec(&["Summe", "K-1", "9"]), 1), "a real id");
        assert!(!is_totals(&rec(&["K-1", "Total", "9"]), 2));
        assert!(!is_totals(&rec(&["Totalmarkt GmbH", "9"]), 0));
    }
}
