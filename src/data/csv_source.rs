//! Delimited text: one reader thread cuts the file into large blocks at record boundaries, worker
//! threads parse the blocks with `csv` into their own state.
//!
//! The first line break of the file decides the line terminator ([`line_terminator`]): a lone CR
//! (old Mac "CSV (Macintosh)" exports) makes every CR a line end; otherwise lines end at LF (CRLF
//! included). Blocks end at the last line terminator that is outside a quoted field. Quote state
//! is tracked the way the `csv` parser sees it: a quote opens a quoted field only at the start of
//! a field, `""` inside a quoted field is an escaped quote, and any other quote is plain data.
//! Text after the closing quote of a quoted field (`"c2"x`), which the `csv` parser would glue to
//! the value, is an error ([`text_after_quote`]). Each block carries its first line number
//! (counted over every terminator, so line numbers are physical lines), so errors name the exact
//! line. Buffers are recycled: memory is about `(workers + 1) * block_size` whatever the file's
//! size.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use csv::ByteRecord;

use super::compute::{Computed, Operand};
use super::config::{Encoding, Layout, TransactionSource};
use super::day::Day;
use super::decode::{not_utf8_hint, FillError, Input};
use super::error::{shown, CellError, DataError, Location};
use super::headers::{clean_header, ColumnPlan};
use super::number::{Numbers, Plain};
use super::overflow::Tracker;
use super::parse::DateParser;
use super::rejects::{after_quote, kind_of, Rejected, Rejects, FIELD_COUNT, KEEP};
use super::sniff::{delimiter_name, is_totals, last_lines_start, sniff_delimiter};
use super::sources::{FileRead, TotalsLine};
use super::{
    date_format, transaction_numbers, CellProblem, Expected, LoadStats, Progress, Row, RowSink,
};

/// Tuning knobs; tests shrink the block size to exercise block boundaries.
#[derive(Debug, Clone)]
pub(crate) struct CsvOptions {
    /// Bytes read per block (a block grows when one record is longer).
    pub block_size: usize,
    /// Parsing threads.
    pub workers: usize,
    /// The longest record accepted, in bytes; guards against an unclosed quote swallowing the
    /// whole file into memory.
    pub max_record: usize,
    /// Bad rows kept with their text (all are counted).
    pub keep_rejects: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            block_size: 8 << 20,
            workers: rayon::current_num_threads().max(1),
            max_record: 64 << 20,
            keep_rejects: KEEP,
        }
    }
}

/// An open file whose header has been read.
pub(crate) struct Opened {
    /// The path as configured, for messages.
    pub path: PathBuf,
    input: Input,
    /// File size in bytes.
    total: u64,
    /// Bytes read so far.
    read: u64,
    delim: u8,
    /// The line terminator, `\n` or `\r` (see [`line_terminator`]).
    nl: u8,
    /// The cleaned header cells.
    pub headers: Vec<String>,
    /// Bytes already read after the header.
    pub rest: Vec<u8>,
    /// The line number where `rest` starts.
    pub rest_line: u64,
    /// Whether the delimiter was sniffed (not configured).
    pub sniffed: bool,
    /// The header's line.
    pub header_line: u64,
    /// Lines to drop at the end (`skip_footer`).
    skip_footer: u64,
    /// The customer id's field, to recognise a totals line at the end; `None` to not look.
    pub totals_field: Option<usize>,
    /// The encoding, for messages.
    encoding: Encoding,
}

/// What was left out at the end of a file: footer lines and a totals line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tail {
    /// Lines dropped by `skip_footer`.
    pub footer_lines: u64,
    /// The totals line left out: its line and text.
    pub totals: Option<(u64, String)>,
}

impl Opened {
    /// The delimiter used.
    pub(crate) fn delimiter(&self) -> u8 {
        self.delim
    }

    /// The line terminator.
    pub(crate) fn terminator(&self) -> u8 {
        self.nl
    }

    /// Reads the rest of the file into `rest` (for small files read whole, such as the customer
    /// table).
    pub(crate) fn read_rest(&mut self) -> Result<(), DataError> {
        loop {
            let target = self.rest.len() + (1 << 20);
            match self.input.fill(&mut self.rest, target, &mut self.read) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => {
                    let line = self.rest_line + count_lines(&self.rest, self.nl);
                    return Err(fill_error(&self.path, e, line, self.encoding));
                }
            }
        }
    }

    /// At the end of a file read whole ([`Opened::read_rest`]): where the data in `rest` ends
    /// before the footer and totals lines, and what was left out.
    pub(crate) fn tail(&self) -> Result<(usize, Tail), DataError> {
        cut_tail(&self.path, self.tail_rule(), &self.rest, self.rest_line)
    }

    /// What [`cut_tail`] needs.
    fn tail_rule(&self) -> TailRule {
        TailRule {
            delim: self.delim,
            nl: self.nl,
            skip_footer: self.skip_footer,
            totals_field: self.totals_field,
        }
    }
}

fn io_error(path: &Path, source: std::io::Error) -> DataError {
    DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The number of line terminators `nl` in `b`.
pub(crate) fn count_lines(b: &[u8], nl: u8) -> u64 {
    memchr::memchr_iter(nl, b).count() as u64
}

/// The line terminator of delimited text, decided by its first line break: `\r` when that is a
/// CR not followed by LF (old Mac "CSV (Macintosh)" exports), otherwise `\n` (LF or CRLF). A file
/// with no line break at all reads as LF. `None` when `buf` holds no decidable line break yet and
/// more of the file is to come (`!eof`).
pub(crate) fn line_terminator(buf: &[u8], eof: bool) -> Option<u8> {
    match memchr::memchr2(b'\r', b'\n', buf) {
        Some(i) if buf[i] == b'\r' => match buf.get(i + 1) {
            Some(b'\n') => Some(b'\n'),
            Some(_) => Some(b'\r'),
            None => eof.then_some(b'\r'),
        },
        Some(_) => Some(b'\n'),
        None => eof.then_some(b'\n'),
    }
}

/// The error for a [`FillError`] while reading `path`; `line` is the line where the bytes that
/// could not be decoded start.
fn fill_error(path: &Path, e: FillError, line: u64, encoding: Encoding) -> DataError {
    match e {
        FillError::Io(e) => io_error(path, e),
        FillError::Malformed => DataError::Format {
            path: path.to_path_buf(),
            location: Some(Location::Line(line)),
            message: format!(
                "bytes that are not valid {} text; check the file's `encoding:`",
                encoding.name()
            ),
        },
    }
}

/// The result of scanning a buffer that starts at a record boundary.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Just after the last `\n` outside quotes.
    pub cut: Option<usize>,
    /// Where the quoted field still open at the end of the buffer started.
    pub open_quote: Option<usize>,
}

/// Finds the last record boundary in `buf` (which starts at one); `nl` is the line terminator.
pub(crate) fn scan(buf: &[u8], delim: u8, nl: u8) -> Scan {
    if memchr::memchr(b'"', buf).is_none() {
        return Scan {
            cut: memchr::memrchr(nl, buf).map(|i| i + 1),
            open_quote: None,
        };
    }
    scan_bits(buf, delim, nl).unwrap_or_else(|| scan_exact(buf, delim, nl))
}

/// The reference scanner: one step per quote or line break, exactly as the csv parser reads.
pub(crate) fn scan_exact(buf: &[u8], delim: u8, nl: u8) -> Scan {
    let mut in_quotes = false;
    let mut open_at = 0;
    let mut closed_at = usize::MAX; // position of the last closing quote
    let mut cut = None;
    for pos in memchr::memchr2_iter(b'"', nl, buf) {
        if buf[pos] == nl {
            if !in_quotes {
                cut = Some(pos + 1);
            }
        } else if in_quotes {
            in_quotes = false;
            closed_at = pos;
        } else if closed_at.wrapping_add(1) == pos {
            in_quotes = true; // `""` inside a quoted field: an escaped quote
        } else if pos == 0 || matches!(buf[pos - 1], b'\n' | b'\r') || buf[pos - 1] == delim {
            in_quotes = true;
            open_at = pos;
        }
        // Otherwise a quote inside an unquoted field: plain data, as the csv parser reads it.
    }
    Scan {
        cut,
        open_quote: in_quotes.then_some(open_at),
    }
}

/// `0x80` in every byte of `w` equal to `c`, `0` elsewhere (exact, no false positives).
#[inline(always)]
fn bytes_equal(w: u64, c: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let v = w ^ (0x0101_0101_0101_0101 * u64::from(c));
    !(((v & LOW7) + LOW7) | v) & !LOW7
}

/// The per-byte flags of [`bytes_equal`] packed into 8 bits (bit k = byte k).
#[inline(always)]
fn pack(m: u64) -> u64 {
    ((m >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// A fast scanner for text with quotes, 64 bytes at a time (bit masks and a prefix XOR of the
/// quote positions, as simdjson does). Quote parity equals the csv parser's state as long as
/// every quote that opens a quoted field stands at the start of a field (or right after another
/// quote: an escaped quote); when one does not (a stray quote such as `5" disk`), this returns
/// `None` and the caller uses [`scan_exact`].
fn scan_bits(buf: &[u8], delim: u8, nl: u8) -> Option<Scan> {
    let mut cut = None;
    let mut open_at = 0usize;
    let mut in_quotes = 0u64; // 0 or 1: the state after the previous chunk
    let mut prev_boundary_carry = 1u64; // position 0 starts a field
    let mut prev_quote_carry = 0u64;
    let mut padded = [0u8; 64];
    // A field also starts after the other line break byte (CR in LF files, LF in CR files).
    let other = if nl == b'\n' { b'\r' } else { b'\n' };
    for (n, chunk) in buf.chunks(64).enumerate() {
        let chunk: &[u8] = if chunk.len() == 64 {
            chunk
        } else {
            padded[..chunk.len()].copy_from_slice(chunk);
            padded[chunk.len()..].fill(0);
            &padded
        };
        let (mut quotes, mut newlines, mut boundaries) = (0u64, 0u64, 0u64);
        for (k, word) in chunk.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            let breaks = bytes_equal(w, nl);
            quotes |= pack(bytes_equal(w, b'"')) << (8 * k);
            newlines |= pack(breaks) << (8 * k);
            boundaries |= pack(breaks | bytes_equal(w, other) | bytes_equal(w, delim)) << (8 * k);
        }
        let prev_boundary = (boundaries << 1) | prev_boundary_carry;
        let prev_quote = (quotes << 1) | prev_quote_carry;
        prev_boundary_carry = boundaries >> 63;
        prev_quote_carry = quotes >> 63;
        // Inside quotes after each byte: prefix XOR of the quote bits, flipped by the carry.
        let mut inside = quotes;
        inside ^= inside << 1;
        inside ^= inside << 2;
        inside ^= inside << 4;
        inside ^= inside << 8;
        inside ^= inside << 16;
        inside ^= inside << 32;
        inside ^= 0u64.wrapping_sub(in_quotes);
        let opening = quotes & inside; // quotes after which we are inside
        if opening & !(prev_boundary | prev_quote) != 0 {
            return None; // a stray quote: parity no longer matches the csv parser
        }
        let base = n * 64;
        let real_open = opening & prev_boundary;
        if real_open != 0 {
            open_at = base + 63 - real_open.leading_zeros() as usize;
        }
        let cuts = newlines & !inside;
        if cuts != 0 {
            cut = Some(base + 64 - cuts.leading_zeros() as usize);
        }
        in_quotes = inside >> 63;
    }
    Some(Scan {
        cut,
        open_quote: (in_quotes == 1).then_some(open_at),
    })
}

/// A message when the bytes are clearly not UTF-8 delimited text.
pub(crate) fn not_text(start: &[u8]) -> Option<&'static str> {
    if start.starts_with(b"PK\x03\x04") || start.starts_with(b"\xD0\xCF\x11\xE0") {
        Some("this is a spreadsheet file, not delimited text: give it its real extension (.xlsx, .xls, .ods)")
    } else if start.starts_with(b"\xFF\xFE") || start.starts_with(b"\xFE\xFF") {
        Some("this text is UTF-16 encoded: set `encoding: utf-16` (or export it as \"CSV UTF-8\")")
    } else {
        None
    }
}

/// Where the header starts in `buf`: after the byte-order mark (`bom` bytes), `skip` title lines
/// and any blank lines (as the csv parser skips them); `None` when `buf` does not hold the title
/// lines yet.
fn header_start(buf: &[u8], bom: usize, skip: u64, nl: u8) -> Option<usize> {
    let mut at = bom;
    for _ in 0..skip {
        at += memchr::memchr(nl, &buf[at..])? + 1;
    }
    let blank = buf[at..].iter().position(|&c| c != b'\n' && c != b'\r');
    Some(at + blank.unwrap_or(buf.len() - at))
}

/// Where the header record is in the buffer [`open`] reads.
struct HeaderAt {
    start: usize,
    end: usize,
    line: u64,
    nl: u8,
    delim: u8,
    sniffed: bool,
}

/// Opens the file, skips its title lines, decides the delimiter (sniffed unless configured) and
/// reads its header record.
pub(crate) fn open(
    path: &Path,
    workspace: &Path,
    layout: &Layout,
    opts: &CsvOptions,
) -> Result<Opened, DataError> {
    let full = workspace.join(path);
    let file = File::open(&full).map_err(|e| io_error(path, e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let config = |message: String| DataError::Config {
        path: path.to_path_buf(),
        message,
    };
    let mut input = Input::new(file, layout.encoding)
        .map_err(|e| io_error(path, e))?
        .map_err(config)?;
    let mut read = 0u64;
    let mut buf = Vec::new();
    let at = find_header(path, layout, opts, &mut input, &mut buf, &mut read)?;
    let header_bytes = &buf[at.start..at.end];
    check_header_quotes(path, header_bytes, at.line, at.delim, at.nl)?;
    let format = |location: Option<u64>, message: String| DataError::Format {
        path: path.to_path_buf(),
        location: location.map(Location::Line),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(at.delim)
        .from_reader(header_bytes);
    let mut record = ByteRecord::new();
    let has = rdr
        .read_byte_record(&mut record)
        .map_err(|e| format(Some(at.line), e.to_string()))?;
    if !has {
        return Err(format(
            None,
            "the file is empty: expected a header line naming the columns".to_string(),
        ));
    }
    let mut headers = Vec::with_capacity(record.len());
    for (i, h) in record.iter().enumerate() {
        let text = std::str::from_utf8(h).map_err(|e| {
            let message = format!(
                "header {} {:?} is not UTF-8 text; {}",
                i + 1,
                shown(h),
                not_utf8_hint(&h[e.valid_up_to()..])
            );
            format(Some(at.line), message)
        })?;
        headers.push(clean_header(text));
    }
    if let Some(h) = layout.header_row.filter(|&h| h != at.line) {
        return Err(config(format!(
            "`header_row: {h}` but line {h} is blank (the header would be line {}); set `header_row: {}`",
            at.line, at.line
        )));
    }
    let rest_line = at.line + count_lines(header_bytes, at.nl);
    let rest = buf[at.end..].to_vec();
    Ok(Opened {
        path: path.to_path_buf(),
        input,
        total,
        read,
        delim: at.delim,
        nl: at.nl,
        headers,
        rest,
        rest_line,
        sniffed: at.sniffed,
        header_line: at.line,
        skip_footer: layout.skip_footer,
        totals_field: None,
        encoding: layout.encoding,
    })
}

/// Reads into `buf` until it holds the header record; decides the line terminator and the
/// delimiter on the way.
fn find_header(
    path: &Path,
    layout: &Layout,
    opts: &CsvOptions,
    input: &mut Input,
    buf: &mut Vec<u8>,
    read: &mut u64,
) -> Result<HeaderAt, DataError> {
    let mut target = opts.block_size.clamp(1, 1 << 20);
    let format = |location: Option<u64>, message: String| DataError::Format {
        path: path.to_path_buf(),
        location: location.map(Location::Line),
        message,
    };
    let config = |message: String| DataError::Config {
        path: path.to_path_buf(),
        message,
    };
    loop {
        let eof = input.fill(buf, target, read).map_err(|e| {
            let line = 1 + count_lines(buf, b'\n');
            fill_error(path, e, line, layout.encoding)
        })?;
        if let Some(message) = not_text(buf) {
            return Err(format(None, message.to_string()));
        }
        let bom = if buf.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let nl = line_terminator(&buf[bom..], eof);
        let start = nl.and_then(|nl| header_start(buf, bom, layout.skip_rows, nl));
        if let (Some(nl), Some(start)) = (nl, start) {
            let line = 1 + count_lines(&buf[..start], nl);
            let (delim, sniffed) = match layout.delimiter {
                Some(d) => (d, false),
                None if start == buf.len() => (b',', false), // nothing to sniff yet, or empty
                None => {
                    let d = sniff_delimiter(&buf[start..], eof, layout.skip_footer);
                    (d.map_err(config)?, true)
                }
            };
            let at = |end: usize| HeaderAt {
                start,
                end,
                line,
                nl,
                delim,
                sniffed,
            };
            if let Some(end) = scan_first(&buf[start..], delim, nl) {
                return Ok(at(start + end));
            }
            if eof {
                if let Some(q) = scan(&buf[start..], delim, nl).open_quote {
                    let line = line + count_lines(&buf[start..start + q], nl);
                    return Err(format(
                        Some(line),
                        "a quoted header field is never closed".to_string(),
                    ));
                }
                return Ok(at(buf.len()));
            }
        } else if eof {
            let lines = nl.map_or(0, |nl| count_lines(buf, nl));
            return Err(config(format!(
                "`header_row`/`skip_rows` skip {} title lines, but the file has only {lines} lines",
                layout.skip_rows
            )));
        }
        if buf.len() >= opts.max_record {
            return Err(format(
                Some(1),
                format!(
                    "the header line is longer than {} MB; is this a text file?",
                    opts.max_record >> 20
                ),
            ));
        }
        target = (target * 2).min(opts.max_record);
    }
}

/// Just after the first line terminator `nl` outside quotes.
fn scan_first(buf: &[u8], delim: u8, nl: u8) -> Option<usize> {
    let mut from = 0;
    // Try growing prefixes: the first record is short in practice.
    loop {
        let end = memchr::memchr(nl, &buf[from..])? + from;
        let s = scan(&buf[..=end], delim, nl);
        if s.open_quote.is_none() {
            return s.cut;
        }
        from = end + 1;
    }
}

/// How to fix text after a closing quote, for error messages.
pub(crate) const QUOTE_FIX: &str = "a quoted value must end at its closing quote: put the whole \
     value in quotes and double every quote inside it (\"5\"\" disk\")";

/// Checks the header record (`bytes`, starting on `line`) for text after a closing quote.
pub(crate) fn check_header_quotes(
    path: &Path,
    bytes: &[u8],
    line: u64,
    delim: u8,
    nl: u8,
) -> Result<(), DataError> {
    let Some(at) = text_after_quote(bytes, delim) else {
        return Ok(());
    };
    let (field, raw) = quoted_field_at(bytes, 0, at, delim);
    Err(DataError::Format {
        path: path.to_path_buf(),
        location: Some(Location::Line(line + count_lines(&bytes[..at], nl))),
        message: format!(
            "header {} {:?} has text after its closing quote; {QUOTE_FIX}",
            field + 1,
            shown(raw)
        ),
    })
}

/// The offset of the first byte of text that follows the closing quote of a quoted field (the `x`
/// of `"c2"x`), in a buffer that starts at a record boundary. After a closing quote only another
/// quote (an escaped quote), the delimiter or a line break may follow; the csv parser would
/// otherwise append the text to the value (`c2x`) without a word.
pub(crate) fn text_after_quote(buf: &[u8], delim: u8) -> Option<usize> {
    let mut in_quotes = false;
    let mut closed_at = usize::MAX; // position of the last closing quote
    for pos in memchr::memchr_iter(b'"', buf) {
        if in_quotes {
            in_quotes = false;
            closed_at = pos;
            match buf.get(pos + 1) {
                None | Some(b'"' | b'\n' | b'\r') => {}
                Some(&c) if c == delim => {}
                Some(_) => return Some(pos + 1),
            }
        } else if closed_at.wrapping_add(1) == pos
            || pos == 0
            || matches!(buf[pos - 1], b'\n' | b'\r')
            || buf[pos - 1] == delim
        {
            in_quotes = true; // an escaped quote, or a quote opening a field
        }
    }
    None
}

/// The field index (0-based) of byte `at` in the record starting at `start`, and the raw text of
/// that field up to the end of the field (as the csv parser ends it after a bad closing quote).
#[cold]
pub(crate) fn quoted_field_at(buf: &[u8], start: usize, at: usize, delim: u8) -> (usize, &[u8]) {
    // The record's parse may start at line breaks the parser skipped.
    let start = start
        + buf[start..at]
            .iter()
            .take_while(|&&c| c == b'\n' || c == b'\r')
            .count();
    let (mut field, mut field_start) = (0, start);
    let (mut in_quotes, mut closed_at) = (false, usize::MAX);
    for (pos, &c) in buf.iter().enumerate().take(at).skip(start) {
        if c == b'"' {
            if in_quotes {
                in_quotes = false;
                closed_at = pos;
            } else if pos == field_start || closed_at.wrapping_add(1) == pos {
                in_quotes = true;
            }
        } else if c == delim && !in_quotes {
            field += 1;
            field_start = pos + 1;
        }
    }
    let end = buf[at..]
        .iter()
        .position(|&c| c == delim || c == b'\n' || c == b'\r')
        .map_or(buf.len(), |n| at + n);
    (field, &buf[field_start..end])
}

/// Turns record start offsets into physical line numbers, counting newlines incrementally.
pub(crate) struct LineTracker {
    pos: usize,
    line: u64,
    nl: u8,
}

impl LineTracker {
    /// A tracker whose offset 0 is on `line`, counting line terminators `nl`.
    pub(crate) fn new(line: u64, nl: u8) -> Self {
        LineTracker { pos: 0, line, nl }
    }

    /// The line of the record whose parse started at `byte` (offsets must not decrease). Line
    /// terminators and blank lines the parser skipped before the record are stepped over.
    pub(crate) fn line_at(&mut self, buf: &[u8], byte: u64) -> u64 {
        let mut at = (byte as usize).clamp(self.pos, buf.len());
        while at < buf.len() && matches!(buf[at], b'\n' | b'\r') {
            at += 1;
        }
        self.line += count_lines(&buf[self.pos..at], self.nl);
        self.pos = at;
        self.line
    }
}

/// One block of whole records.
struct Block {
    index: usize,
    start_line: u64,
    buf: Vec<u8>,
}

/// What a worker needs to parse a block and turn a problem into an error.
pub(crate) struct Context<'a> {
    pub path: &'a Path,
    pub headers: &'a [String],
    pub date_expected: &'a str,
    pub delim: u8,
    pub nl: u8,
    /// Reads the amount of a bad row (for the rejected amount), when the reader has one.
    pub amount: Option<AmountOf<'a>>,
}

/// Reads the amount (in cents) of a record, `None` when it cannot be read.
pub(crate) type AmountOf<'a> = &'a (dyn Fn(&ByteRecord) -> Option<i64> + Sync);

/// The error for text after a closing quote at byte `at` of `buf`, in the record that starts at
/// byte `start` on line `line`.
#[cold]
pub(crate) fn text_after_quote_error(
    path: &Path,
    headers: &[String],
    (buf, start, at): (&[u8], usize, usize),
    line: u64,
    delim: u8,
) -> DataError {
    let (field, raw) = quoted_field_at(buf, start, at, delim);
    CellError {
        path: path.to_path_buf(),
        location: Location::Line(line),
        column: headers.get(field).cloned().unwrap_or_default(),
        expected: "a value that ends at its closing quote".to_string(),
        found: shown(raw),
        note: Some(QUOTE_FIX),
    }
    .into()
}

/// Parses the records of a block: each good one goes to `process`, each bad one (a wrong number
/// of fields, text after a closing quote, a cell `process` rejects) to `rejects`, so every bad
/// row is found in one pass. Only a sum out of range (while an overflow is traced) or a record
/// the csv parser cannot read stops the block, as an error.
fn parse_block<W, P>(
    block: &Block,
    ctx: &Context<'_>,
    record: &mut ByteRecord,
    (state, rejects): (&mut W, &mut Rejects),
    process: &P,
) -> Result<(), DataError>
where
    P: Fn(&mut W, &ByteRecord) -> Result<(), CellProblem>,
{
    let n_fields = ctx.headers.len();
    let buf = &block.buf[..];
    // Quotes are rare in exports; only then is the block checked for text after a closing quote.
    let after = |from: usize| match memchr::memchr(b'"', &buf[from..]) {
        Some(_) => text_after_quote(&buf[from..], ctx.delim).map(|at| at + from),
        None => None,
    };
    let mut stray = after(0);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(ctx.delim)
        .buffer_capacity(64 << 10)
        .from_reader(buf);
    let start = |record: &ByteRecord| record.position().map_or(0, |p| p.byte()) as usize;
    // Offsets only grow: one tracker counts the block's lines once, however many rows are bad.
    let mut lines = LineTracker::new(block.start_line, ctx.nl);
    loop {
        match rdr.read_byte_record(record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                return Err(DataError::Format {
                    path: ctx.path.to_path_buf(),
                    location: Some(Location::Line(lines.line_at(buf, start(record) as u64))),
                    message: e.to_string(),
                })
            }
        }
        let (begin, end) = (
            start(record),
            (rdr.position().byte() as usize).min(buf.len()),
        );
        // The raw record, only made for a bad row: its parse may start at blank lines it skipped.
        let raw = || {
            let blank = buf[begin..end]
                .iter()
                .take_while(|&&c| c == b'\n' || c == b'\r')
                .count();
            &buf[begin + blank..end]
        };
        let mut line = || lines.line_at(buf, begin as u64);
        if let Some(at) = stray.filter(|&at| at < end) {
            let field = quoted_field_at(buf, begin, at, ctx.delim).0;
            rejects.unparsed += 1;
            rejects.add(after_quote(field), None, || {
                let bytes = (buf, begin, at);
                let e = text_after_quote_error(ctx.path, ctx.headers, bytes, line(), ctx.delim);
                Rejected::new(e, raw()).in_field(field, ctx.delim)
            });
            stray = after(end);
            continue;
        }
        if record.len() != n_fields {
            rejects.unparsed += 1;
            rejects.add(FIELD_COUNT, None, || {
                let e = DataError::FieldCount {
                    path: ctx.path.to_path_buf(),
                    location: Location::Line(line()),
                    expected: n_fields,
                    found: record.len(),
                };
                Rejected::new(e, raw())
            });
            continue;
        }
        if let Err(p) = process(state, record) {
            let text = |i: usize| shown(record.get(i).unwrap_or(b""));
            let error = |line: u64| {
                let location = Location::Line(line);
                p.into_error(ctx.path, location, ctx.headers, &text, ctx.date_expected)
            };
            if let Expected::InRange { .. } = p.expected {
                return Err(error(line()));
            }
            let amount = ctx.amount.and_then(|f| f(record));
            let field = p.field;
            rejects.add(kind_of(&p), amount, || {
                Rejected::new(error(line()), raw()).in_field(field, ctx.delim)
            });
        }
    }
}

/// Keeps the error of the smallest block.
fn keep_first(slot: &Mutex<Option<(usize, DataError)>>, index: usize, err: DataError) {
    let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
    if slot.as_ref().is_none_or(|(i, _)| index < *i) {
        *slot = Some((index, err));
    }
}

/// Runs `process` over every data record, in parallel; returns each worker's state, how the
/// file ended and the rows set aside as bad (the first `opts.keep_rejects` by line whatever the
/// thread split, all counted; the amount of a bad row is read by `amount`). An error is returned
/// only for what stops the whole file: it cannot be read, a quoted field is never closed, or
/// `process` reports a sum out of range.
pub(crate) fn run<W, MW, P>(
    mut op: Opened,
    opts: &CsvOptions,
    (date_expected, amount): (&str, Option<AmountOf<'_>>),
    make: MW,
    process: P,
    progress: Option<&dyn Progress>,
) -> Result<(Vec<W>, Tail, Rejects), DataError>
where
    W: Send,
    MW: Fn() -> W + Sync,
    P: Fn(&mut W, &ByteRecord) -> Result<(), CellProblem> + Sync,
{
    let workers = opts.workers.max(1);
    let block_size = opts.block_size.max(1);
    let ctx = Context {
        path: &op.path,
        headers: &op.headers,
        date_expected,
        delim: op.delim,
        nl: op.nl,
        amount,
    };
    let keep = opts.keep_rejects;
    let stop = AtomicUsize::new(usize::MAX); // smallest failing block
    let first_error: Mutex<Option<(usize, DataError)>> = Mutex::new(None);
    let (work_tx, work_rx) = mpsc::channel::<Block>();
    let work_rx = Mutex::new(work_rx);
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();

    let rule = op.tail_rule();
    let (states, tail) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let free_tx = free_tx.clone();
                let (ctx, stop, first_error, work_rx, make, process) =
                    (&ctx, &stop, &first_error, &work_rx, &make, &process);
                s.spawn(move || {
                    let mut state = (make(), Rejects::with_cap(keep));
                    let mut record = ByteRecord::new();
                    loop {
                        let next = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok(block) = next else { break };
                        if block.index < stop.load(Ordering::Acquire) {
                            let (w, rejects) = &mut state;
                            if let Err(e) =
                                parse_block(&block, ctx, &mut record, (w, rejects), process)
                            {
                                keep_first(first_error, block.index, e);
                                stop.fetch_min(block.index, Ordering::AcqRel);
                            }
                        }
                        let _ = free_tx.send(block.buf);
                    }
                    state
                })
            })
            .collect();
        drop(free_tx);

        // The reader: this thread.
        let mut tail = Tail::default();
        let mut spare: Vec<Vec<u8>> = (0..=workers).map(|_| Vec::new()).collect();
        let mut carry = std::mem::take(&mut op.rest);
        let mut line = op.rest_line;
        let mut index = 0usize;
        let mut eof = false;
        let reader_error = |index: usize, e: DataError| keep_first(&first_error, index, e);
        while !(eof && carry.is_empty()) && stop.load(Ordering::Acquire) == usize::MAX {
            let Some(mut buf) = spare.pop().or_else(|| free_rx.recv().ok()) else {
                break; // every worker is gone (a panic): joining below reports it
            };
            buf.clear();
            buf.append(&mut carry);
            let mut target = block_size.max(buf.len() + 1);
            let mut unclosed = None;
            let cut = loop {
                match op.input.fill(&mut buf, target, &mut op.read) {
                    Ok(end) => eof = end,
                    Err(e) => {
                        let at = line + count_lines(&buf, op.nl);
                        reader_error(index, fill_error(&op.path, e, at, op.encoding));
                        break None;
                    }
                }
                let sc = scan(&buf, op.delim, op.nl);
                if eof {
                    if let Some(q) = sc.open_quote {
                        // The records before this one are still parsed: an earlier error wins.
                        let at = line + count_lines(&buf[..q], op.nl);
                        unclosed = Some(DataError::Format {
                            path: op.path.clone(),
                            location: Some(Location::Line(at)),
                            message: "a quoted field starting on this line is never closed \
                                      (a stray quote character?)"
                                .to_string(),
                        });
                        break Some(sc.cut.unwrap_or(0));
                    }
                    break Some(buf.len());
                }
                if let Some(cut) = sc.cut {
                    break Some(cut);
                }
                if buf.len() >= opts.max_record {
                    let (at, message) = match sc.open_quote {
                        Some(q) => (
                            line + count_lines(&buf[..q], op.nl),
                            format!(
                                "a quoted field starting on this line is not closed within {} MB \
                                 (a stray quote character?)",
                                opts.max_record >> 20
                            ),
                        ),
                        None => (
                            line,
                            format!("a line longer than {} MB", opts.max_record >> 20),
                        ),
                    };
                    reader_error(
                        index,
                        DataError::Format {
                            path: op.path.clone(),
                            location: Some(Location::Line(at)),
                            message,
                        },
                    );
                    break None;
                }
                target = (target * 2).min(opts.max_record.max(buf.len() + 1));
            };
            let Some(mut cut) = cut else { break };
            let held = op.skip_footer + u64::from(op.totals_field.is_some());
            if held > 0 && eof && unclosed.is_none() {
                match cut_tail(&op.path, rule, &buf[..cut], line) {
                    Ok((end, t)) => (cut, tail) = (end, t),
                    Err(e) => {
                        reader_error(index, e);
                        break;
                    }
                }
            } else if held > 0 && !eof {
                cut = hold_back(&buf[..cut], held, op.delim, op.nl);
            }
            carry.extend_from_slice(&buf[cut..]);
            buf.truncate(cut);
            if buf.is_empty() {
                spare.push(buf);
            } else {
                let start_line = line;
                line += count_lines(&buf, op.nl);
                let block = Block {
                    index,
                    start_line,
                    buf,
                };
                if work_tx.send(block).is_err() {
                    break;
                }
                index += 1;
                if let Some(p) = progress {
                    p.advance(op.read, op.total.max(op.read));
                }
            }
            if let Some(e) = unclosed {
                reader_error(index, e);
                break;
            }
            if eof {
                carry.clear(); // the footer and totals lines left out, counted in `tail`
            }
        }
        drop(work_tx);
        let states = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<(W, Rejects)>>();
        (states, tail)
    });
    if let Some((_, e)) = first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut all = Rejects::with_cap(keep);
    let states = states
        .into_iter()
        .map(|(w, rejects)| {
            all.merge(rejects);
            w
        })
        .collect();
    Ok((states, tail, all.named(&op.headers)))
}

/// Whether `t` (just after a line terminator, or 0) is a record boundary of `buf`, which starts
/// and ends at one.
fn is_boundary(buf: &[u8], t: usize, delim: u8, nl: u8) -> bool {
    if t == 0 || t == buf.len() {
        return true;
    }
    // No quote between `t` and the end: the quote state at `t` is the one at the end (outside).
    memchr::memchr(b'"', &buf[t..]).is_none()
        || scan(&buf[..t], delim, nl)
            == Scan {
                cut: Some(t),
                open_quote: None,
            }
}

/// A cut before the last `held` lines of `buf` (which starts and ends at a record boundary), at
/// a record boundary: they wait for the end of the file, where the footer is dropped.
fn hold_back(buf: &[u8], held: u64, delim: u8, nl: u8) -> usize {
    let t = last_lines_start(buf, held, nl).unwrap_or(0);
    if is_boundary(buf, t, delim, nl) {
        t
    } else {
        scan(&buf[..t], delim, nl).cut.unwrap_or(0)
    }
}

/// How a file's end is cut: its delimiter and terminator, `skip_footer`, and the customer id
/// field where a totals line is looked for.
#[derive(Debug, Clone, Copy)]
struct TailRule {
    delim: u8,
    nl: u8,
    skip_footer: u64,
    totals_field: Option<usize>,
}

/// At the end of the file `path` (`buf`, whose first line is `line`, ends it): where the data
/// ends before the `skip_footer` lines and a totals line, and what was left out.
#[cold]
fn cut_tail(path: &Path, op: TailRule, buf: &[u8], line: u64) -> Result<(usize, Tail), DataError> {
    let (delim, nl) = (op.delim, op.nl);
    let footer = last_lines_start(buf, op.skip_footer, nl)
        .filter(|&t| is_boundary(buf, t, delim, nl))
        .ok_or_else(|| DataError::Config {
            path: path.to_path_buf(),
            message: format!(
                "`skip_footer: {}` drops more than the data lines of this file, or part of a quoted field; check how many footer lines the file has",
                op.skip_footer
            ),
        })?;
    let mut tail = Tail {
        footer_lines: op.skip_footer,
        totals: None,
    };
    let Some(id_field) = op.totals_field else {
        return Ok((footer, tail));
    };
    let last = last_lines_start(&buf[..footer], 1, nl).filter(|&t| is_boundary(buf, t, delim, nl));
    let Some(last) = last else {
        return Ok((footer, tail));
    };
    let mut record = ByteRecord::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(&buf[last..footer]);
    if matches!(rdr.read_byte_record(&mut record), Ok(true)) && is_totals(&record, id_field) {
        let text = String::from_utf8_lossy(buf[last..footer].trim_ascii()).into_owned();
        tail.totals = Some((line + count_lines(&buf[..last], nl), text));
        return Ok((last, tail));
    }
    Ok((footer, tail))
}

/// A trimmed text field; `None` when empty.
#[inline]
fn text(b: &[u8], field: usize) -> Result<Option<&str>, CellProblem> {
    let b = b.trim_ascii();
    if b.is_empty() {
        return Ok(None);
    }
    std::str::from_utf8(b)
        .map(Some)
        .map_err(|_| CellProblem::new(field, Expected::Utf8))
}

struct TxState<'f, S> {
    sink: S,
    stats: LoadStats,
    dates: DateParser<'f>,
}

#[inline]
fn optional_text(record: &ByteRecord, field: Option<usize>) -> Result<Option<&str>, CellProblem> {
    match field {
        Some(i) => text(record.get(i).unwrap_or(b""), i),
        None => Ok(None),
    }
}

/// The cents of an amount or cost: the cell of `field` read by `numbers`, or the expression.
#[inline]
fn money<N: Numbers>(
    numbers: &N,
    record: &ByteRecord,
    field: usize,
    expr: Option<&Computed>,
) -> Result<i64, CellProblem> {
    match expr {
        None => numbers
            .cents(record.get(field).unwrap_or(b""))
            .map_err(|why| CellProblem {
                expected: numbers.amount_expected(),
                ..CellProblem::amount(field, why)
            }),
        Some(e) => e.cents(numbers, &|i| Operand::Text(record.get(i).unwrap_or(b""))),
    }
}

/// Validates one record and counts it; a row not after `as_of` goes to `emit`. Numbers are read
/// by `numbers`, chosen once per file ([`Plain`] without `number_format`).
#[inline]
fn read_row<'r, N: Numbers>(
    plan: &ColumnPlan,
    as_of: Day,
    (dates, stats, numbers): (&mut DateParser<'_>, &mut LoadStats, &N),
    record: &'r ByteRecord,
    emit: impl FnOnce(&Row<'r>) -> Result<(), CellProblem>,
) -> Result<(), CellProblem> {
    let field = |i: usize| record.get(i).unwrap_or(b"");
    stats.rows_read += 1;
    let customer_id = text(field(plan.customer_id), plan.customer_id)?
        .ok_or_else(|| CellProblem::new(plan.customer_id, Expected::CustomerId))?;
    let day = dates
        .parse(field(plan.date))
        .ok_or_else(|| dates.problem(plan.date, field(plan.date)))?;
    let amount = money(numbers, record, plan.amount, plan.amount_expr.as_ref())?;
    let cost = match plan.cost {
        Some(i) => money(numbers, record, i, plan.cost_expr.as_ref())?,
        None => 0,
    };
    let quantity = match plan.quantity {
        Some(i) => numbers
            .whole(field(i))
            .ok_or_else(|| CellProblem::new(i, Expected::Whole))?,
        None => 0,
    };
    let order_id = optional_text(record, plan.order_id)?;
    let product = optional_text(record, plan.product)?;
    let channel = optional_text(record, plan.channel)?;
    if day > as_of {
        stats.excluded_after_as_of += 1;
        return Ok(());
    }
    let row = Row {
        customer_id,
        day,
        amount,
        cost,
        quantity,
        order_id,
        product,
        channel,
    };
    stats.count_used(&row);
    emit(&row)
}

/// Validates one record and pushes it.
#[inline]
fn process_row<S: RowSink, N: Numbers>(
    plan: &ColumnPlan,
    as_of: Day,
    numbers: &N,
    st: &mut TxState<'_, S>,
    record: &ByteRecord,
) -> Result<(), CellProblem> {
    let TxState { sink, stats, dates } = st;
    read_row(plan, as_of, (dates, stats, numbers), record, |row| {
        sink.push(row);
        Ok(())
    })
}

/// Opens `file` and plans its columns; the customer id column is where a totals line is looked
/// for at the end.
fn open_planned(
    src: &TransactionSource,
    file: &Path,
    workspace: &Path,
    layout: &Layout,
    opts: &CsvOptions,
) -> Result<(Opened, ColumnPlan), DataError> {
    let mut op = open(file, workspace, layout, opts)?;
    let plan = ColumnPlan::new(file, op.headers.clone(), &src.columns)?;
    op.totals_field = Some(plan.customer_id);
    Ok((op, plan))
}

/// How `op` was read, for [`FileRead`]: everything but the row count.
pub(crate) fn file_read(op: &Opened, layout: &Layout, tail: Tail) -> FileRead {
    FileRead {
        path: op.path.display().to_string(),
        delimiter: Some(delimiter_name(op.delim)),
        delimiter_sniffed: op.sniffed,
        encoding: Some(layout.encoding.name().to_string()),
        sheet: None,
        skip_rows: layout.skip_rows,
        header_row: op.header_line,
        rows_read: 0,
        footer_lines: tail.footer_lines,
        totals_line: tail.totals.map(|(line, text)| TotalsLine { line, text }),
    }
}

/// [`super::read_transactions`] for one delimited text file: the number parser is chosen
/// here, once (the plain fast path unless `number_format` is set). Returns the sink, the counts
/// (rejected rows counted as read), how the file was read and the bad rows set aside.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_transactions<S: RowSink>(
    src: &TransactionSource,
    file: &Path,
    workspace: &Path,
    layout: &Layout,
    as_of: Day,
    make_sink: impl Fn() -> S + Sync,
    progress: Option<&dyn Progress>,
    opts: &CsvOptions,
) -> Result<(S, LoadStats, FileRead, Rejects), DataError> {
    let read = (file, workspace, layout, as_of);
    match transaction_numbers(src)? {
        None => read_transactions_with(src, read, &Plain, make_sink, progress, opts),
        Some(p) => read_transactions_with(src, read, &p, make_sink, progress, opts),
    }
}

/// [`read_transactions`] with the number parser `numbers`.
fn read_transactions_with<S: RowSink, N: Numbers>(
    src: &TransactionSource,
    (file, workspace, layout, as_of): (&Path, &Path, &Layout, Day),
    numbers: &N,
    make_sink: impl Fn() -> S + Sync,
    progress: Option<&dyn Progress>,
    opts: &CsvOptions,
) -> Result<(S, LoadStats, FileRead, Rejects), DataError> {
    let format = date_format(src)?;
    let (op, plan) = open_planned(src, file, workspace, layout, opts)?;
    let mut read = file_read(&op, layout, Tail::default());
    let amount = |r: &ByteRecord| money(numbers, r, plan.amount, plan.amount_expr.as_ref()).ok();
    let (states, tail, mut rejects) = run(
        op,
        opts,
        (&format.expected(), Some(&amount)),
        || TxState {
            sink: make_sink(),
            stats: LoadStats::default(),
            dates: DateParser::new(&format),
        },
        |st, record| process_row(&plan, as_of, numbers, st, record),
        progress,
    )?;
    let mut states = states.into_iter();
    let first = states.next().expect("at least one worker");
    let (mut sink, mut stats) = (first.sink, first.stats);
    for st in states {
        sink.merge(st.sink);
        stats.merge(&st.stats);
    }
    // Rows rejected before the row parser saw them are read rows too.
    stats.rows_read += std::mem::take(&mut rejects.unparsed);
    read.rows_read = stats.rows_read;
    read.footer_lines = tail.footer_lines;
    read.totals_line = tail.totals.map(|(line, text)| TotalsLine { line, text });
    Ok((sink, stats, read, rejects))
}

/// [`super::read_rows`]: `rows` (cells in the order of `headers`) validated and pushed as a file's
/// records are, by the same row reader.
pub(crate) fn read_records<S: RowSink>(
    src: &TransactionSource,
    headers: &[String],
    rows: &[Vec<String>],
    as_of: Day,
    sink: &mut S,
) -> Result<LoadStats, (usize, DataError)> {
    let format = date_format(src).map_err(|e| (0, e))?;
    let numbers = transaction_numbers(src).map_err(|e| (0, e))?;
    let plan =
        ColumnPlan::new(&src.path.shown(), headers.to_vec(), &src.columns).map_err(|e| (0, e))?;
    let mut dates = DateParser::new(&format);
    let mut stats = LoadStats::default();
    for (i, cells) in rows.iter().enumerate() {
        let record = ByteRecord::from(cells.clone());
        let state = (&mut dates, &mut stats, &numbers);
        read_row(&plan, as_of, state, &record, |row| {
            sink.push(row);
            Ok(())
        })
        .map_err(|problem| {
            let text = |f: usize| shown(record.get(f).unwrap_or(b""));
            let location = Location::Line(i as u64 + 1);
            let e = problem.into_error(
                &src.path.shown(),
                location,
                headers,
                &text,
                &format.expected(),
            );
            (i, e)
        })?;
    }
    Ok(stats)
}

/// Reads `file` again in order, on one thread, adding the sums of `tracker` (which goes on
/// from the files before): the error at the first row where one leaves the range; `Ok` when none
/// does.
pub(crate) fn locate_overflow(
    src: &TransactionSource,
    file: &Path,
    workspace: &Path,
    layout: &Layout,
    as_of: Day,
    tracker: &mut Tracker,
    opts: &CsvOptions,
) -> Result<(), DataError> {
    let format = date_format(src)?;
    let numbers = transaction_numbers(src)?;
    let (op, plan) = open_planned(src, file, workspace, layout, opts)?;
    let in_order = CsvOptions {
        workers: 1,
        ..opts.clone()
    };
    let (states, _, _) = run(
        op,
        &in_order,
        (&format.expected(), None),
        || {
            (
                tracker.clone(),
                DateParser::new(&format),
                LoadStats::default(),
            )
        },
        |(tracker, dates, stats), record| {
            read_row(&plan, as_of, (dates, stats, &numbers), record, |row| {
                tracker.add(&plan, row)
            })
        },
        None,
    )?;
    if let Some((t, _, _)) = states.into_iter().next() {
        *tracker = t;
    }
    Ok(())
}

/// [`super::latest_day`] for one delimited text file: only dates are parsed; rows with a bad
/// date (or a wrong number of fields) are left out of the latest day and come back as rejects.
pub(crate) fn latest_day(
    src: &TransactionSource,
    file: &Path,
    workspace: &Path,
    layout: &Layout,
    progress: Option<&dyn Progress>,
    opts: &CsvOptions,
) -> Result<(Option<Day>, Rejects), DataError> {
    let format = date_format(src)?;
    let (op, plan) = open_planned(src, file, workspace, layout, opts)?;
    let date = plan.date;
    let (states, _, rejects) = run(
        op,
        opts,
        (&format.expected(), None),
        || (None::<Day>, DateParser::new(&format)),
        |(latest, dates), record| {
            let cell = record.get(date).unwrap_or(b"");
            let day = dates.parse(cell).ok_or_else(|| dates.problem(date, cell))?;
            if latest.is_none_or(|l| day > l) {
                *latest = Some(day);
            }
            Ok(())
        },
        progress,
    )?;
    let latest = states.into_iter().filter_map(|(d, _)| d).max();
    Ok((latest, rejects))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_cuts_outside_quotes() {
        let s = scan(b"a,b\nc,d\ne", b',', b'\n');
        assert_eq!(
            s,
            Scan {
                cut: Some(8),
                open_quote: None
            }
        );
        // A newline inside a quoted field is not a boundary.
        let s = scan(b"a,\"x\ny\"\nc,\"open\nmore", b',', b'\n');
        assert_eq!(s.cut, Some(8));
        assert_eq!(s.open_quote, Some(10));
        // Escaped quotes keep the field open.
        let s = scan(b"a,\"he said \"\"hi\n\"\"\"\nnext", b',', b'\n');
        assert_eq!(s.cut, Some(20));
        assert_eq!(s.open_quote, None);
        // A quote inside an unquoted field is data.
        let s = scan(b"a,5\" disk\nb,c\n", b',', b'\n');
        assert_eq!(s.cut, Some(14));
        assert_eq!(s.open_quote, None);
        // A closed quoted field followed by more text, then a quote: data.
        let s = scan(b"\"a\"b\"c\nx\n", b',', b'\n');
        assert_eq!(s.cut, Some(9));
        // Quotes at field start after other delimiters and CR.
        let s = scan(b"a;\"1\n2\";\r\n\"q\n", b';', b'\n');
        assert_eq!(s.cut, Some(10));
        assert_eq!(s.open_quote, Some(10));
        assert_eq!(scan(b"no newline", b',', b'\n').cut, None);
        // Old Mac line ends: CR is the terminator, LF is data.
        let s = scan(b"a,b\rc,\"x\ry\"\rd\ne", b',', b'\r');
        assert_eq!(s.cut, Some(12));
        assert_eq!(s.open_quote, None);
        assert_eq!(scan(b"a,b\nc", b',', b'\r').cut, None);
    }

    #[test]
    fn the_first_line_break_decides_the_terminator() {
        assert_eq!(line_terminator(b"a,b\nc", false), Some(b'\n'));
        assert_eq!(line_terminator(b"a,b\r\nc", false), Some(b'\n'));
        assert_eq!(line_terminator(b"a,b\rc,d\re", false), Some(b'\r'));
        assert_eq!(line_terminator(b"\r\rheader", false), Some(b'\r'));
        // A CR at the end of what was read so far: the next byte decides.
        assert_eq!(line_terminator(b"a,b\r", false), None);
        assert_eq!(line_terminator(b"a,b\r", true), Some(b'\r'));
        assert_eq!(line_terminator(b"a,b", false), None);
        assert_eq!(line_terminator(b"a,b", true), Some(b'\n'));
    }

    #[test]
    fn text_after_a_closing_quote_is_found() {
        let at = |s: &str| text_after_quote(s.as_bytes(), b',');
        assert_eq!(at("id,x\n\"c2\"x,1\n"), Some(9));
        assert_eq!(at("\"a\",\"b\"\"c\",\"\"\r\n\"d\"\n\"e\""), None);
        assert_eq!(at("a,5\" disk,\"q\"\n"), None); // a quote inside an unquoted field is data
        assert_eq!(at("\"multi\nline\" \n"), Some(12)); // a space counts as text
        assert_eq!(at("x,\"ok\"\"\"y"), Some(8));
        assert_eq!(text_after_quote(b"\"a\";\"b\"", b';'), None);
        // The field and its raw text, for the message.
        let buf = b"r1\na,5\" disk,\"c2\"x,z\n";
        assert_eq!(quoted_field_at(buf, 3, 18, b','), (2, &b"\"c2\"x"[..]));
        // A record whose parse starts at a skipped blank line.
        let buf = b"a\n\n\"q\"x,y\n";
        assert_eq!(quoted_field_at(buf, 2, 6, b','), (0, &b"\"q\"x"[..]));
    }

    #[test]
    fn bit_scanner_matches_the_exact_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let alphabet = b"ab,;\"\"\n\r\"";
        let mut fast_used = 0;
        for round in 0..20_000 {
            let len = (rng.next_u32() % 300) as usize;
            let delim = if round % 2 == 0 { b',' } else { b';' };
            let nl = if round % 4 < 2 { b'\n' } else { b'\r' };
            let mut buf: Vec<u8> = (0..len)
                .map(|_| alphabet[(rng.next_u32() % alphabet.len() as u32) as usize])
                .collect();
            if round % 3 == 0 {
                // Well-formed quoting (the common case): quote whole fields only.
                let text = String::from_utf8(buf.clone()).unwrap().replace('"', "");
                buf = text
                    .split(delim as char)
                    .map(|f| {
                        if f.len() % 2 == 0 {
                            format!("\"{}\"", f.replace('a', "\"\""))
                        } else {
                            f.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(&(delim as char).to_string())
                    .into_bytes();
            }
            let exact = scan_exact(&buf, delim, nl);
            if let Some(fast) = scan_bits(&buf, delim, nl) {
                fast_used += 1;
                assert_eq!(fast, exact, "{:?}", String::from_utf8_lossy(&buf));
            }
            assert_eq!(scan(&buf, delim, nl), exact);
        }
        assert!(fast_used > 5_000, "{fast_used}");
    }
}
