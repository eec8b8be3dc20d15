//! Bytes of a delimited text file as UTF-8: the file itself for UTF-8 (no copy, the fast path),
//! or the file decoded from its `encoding:` (Windows-1252, ISO-8859-1, UTF-16) by encoding_rs,
//! block by block in the reader thread.
//!
//! Decoding keeps every line break where it was, so line numbers stay the file's physical lines.
//! Bytes the encoding cannot decode (an unpaired UTF-16 surrogate) are an error, never a
//! replacement character.

use std::fs::File;
use std::io::Read;

use super::config::Encoding;

/// Raw bytes read from the file per decode step.
const RAW_CHUNK: usize = 256 << 10;

/// What went wrong while filling a buffer.
#[derive(Debug)]
pub(crate) enum FillError {
    /// Reading the file failed.
    Io(std::io::Error),
    /// The bytes after the buffer's end are not valid in the encoding.
    Malformed,
}

impl From<std::io::Error> for FillError {
    fn from(e: std::io::Error) -> Self {
        FillError::Io(e)
    }
}

/// The decoder of a non-UTF-8 file, with the raw bytes read but not yet decoded.
struct Decoding {
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    pos: usize,
    eof: bool,
    /// The decoder has been told the input ended and has flushed.
    done: bool,
    /// Raw bytes read when the file was opened, not yet counted in a `read` total.
    uncounted: u64,
}

/// A text file's bytes, as UTF-8.
pub(crate) struct Input {
    file: File,
    decoding: Option<Box<Decoding>>,
}

impl Input {
    /// Opens `file` for reading in `encoding`. Checks the byte-order mark against the encoding:
    /// `utf-16` needs one (it tells the byte order), and a UTF-8 or UTF-16 mark in a file set to
    /// a single-byte encoding is a contradiction. `Err` holds the message.
    pub(crate) fn new(
        mut file: File,
        encoding: Encoding,
    ) -> std::io::Result<Result<Input, String>> {
        if encoding == Encoding::Utf8 {
            return Ok(Ok(Input {
                file,
                decoding: None,
            }));
        }
        let mut raw = Vec::with_capacity(RAW_CHUNK);
        file.by_ref().take(RAW_CHUNK as u64).read_to_end(&mut raw)?;
        let name = encoding.name();
        let bom = encoding_rs::Encoding::for_bom(&raw).map(|(e, _)| e);
        let decoder = match (encoding, bom) {
            (Encoding::Utf16, Some(e)) if e != encoding_rs::UTF_8 => e.new_decoder_with_bom_removal(),
            (Encoding::Utf16, _) => {
                return Ok(Err(
                    "`encoding: utf-16` is set but the file does not start with a UTF-16 byte-order mark; \
                     save it as \"Unicode Text\" / UTF-16 with a byte-order mark, or set the encoding it has"
                        .to_string(),
                ))
            }
            (_, Some(e)) => {
                return Ok(Err(format!(
                    "`encoding: {name}` is set but the file starts with a {} byte-order mark; set `encoding: {}`",
                    e.name(),
                    if e == encoding_rs::UTF_8 { "utf-8" } else { "utf-16" }
                )))
            }
            (_, None) => encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
        };
        Ok(Ok(Input {
            file,
            decoding: Some(Box::new(Decoding {
                decoder,
                pos: 0,
                eof: false,
                done: false,
                uncounted: raw.len() as u64,
                raw,
            })),
        }))
    }

    /// Appends to `buf` until it holds at least `target` bytes or the file ends; returns true at
    /// the end. `read` counts the file's bytes read (for progress). On
    /// [`FillError::Malformed`], `buf` holds the text decoded before the bad bytes.
    pub(crate) fn fill(
        &mut self,
        buf: &mut Vec<u8>,
        target: usize,
        read: &mut u64,
    ) -> Result<bool, FillError> {
        let Some(d) = self.decoding.as_deref_mut() else {
            return fill_raw(&mut self.file, buf, target, read);
        };
        *read += std::mem::take(&mut d.uncounted);
        while buf.len() < target {
            if d.done {
                return Ok(true);
            }
            if d.pos == d.raw.len() && !d.eof {
                d.raw.clear();
                d.pos = 0;
                let got = self
                    .file
                    .by_ref()
                    .take(RAW_CHUNK as u64)
                    .read_to_end(&mut d.raw)?;
                *read += got as u64;
                d.eof = got == 0;
            }
            let src = &d.raw[d.pos..];
            let room = d
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 3 + 16)
                .max(16);
            let old = buf.len();
            buf.resize(old + room, 0);
            let (result, used, written) =
                d.decoder
                    .decode_to_utf8_without_replacement(src, &mut buf[old..], d.eof);
            buf.truncate(old + written);
            d.pos += used;
            match result {
                encoding_rs::DecoderResult::Malformed(..) => return Err(FillError::Malformed),
                encoding_rs::DecoderResult::InputEmpty if d.eof => {
                    d.done = true;
                    return Ok(true);
                }
                _ => {}
            }
        }
        Ok(false)
    }
}

/// [`Input::fill`] for UTF-8: the file's bytes as they are.
fn fill_raw(
    file: &mut File,
    buf: &mut Vec<u8>,
    target: usize,
    read: &mut u64,
) -> Result<bool, FillError> {
    while buf.len() < target {
        let want = target - buf.len();
        buf.reserve(want);
        let got = file.by_ref().take(want as u64).read_to_end(buf)?;
        *read += got as u64;
        if got == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The hint for bytes that are not UTF-8 (`bytes` starts at the first bad byte): which
/// `encoding:` to set.
pub(crate) fn not_utf8_hint(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        "the file is UTF-16: set `encoding: utf-16`"
    } else {
        "the file is not UTF-8; it looks like Windows-1252 (Excel \"CSV\" on Windows, older systems): \
         set `encoding: windows-1252`, or export it as \"CSV UTF-8\""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decoded(bytes: &[u8], encoding: Encoding, target: usize) -> Result<Vec<u8>, String> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        use std::io::Seek;
        f.rewind().unwrap();
        let mut input = Input::new(f, encoding).unwrap()?;
        let (mut buf, mut read) = (Vec::new(), 0);
        loop {
            let want = buf.len() + target;
            match input.fill(&mut buf, want, &mut read) {
                Ok(true) => break,
                Ok(false) => {}
                Err(FillError::Malformed) => return Err(format!("malformed after {}", buf.len())),
                Err(FillError::Io(e)) => panic!("{e}"),
            }
        }
        assert_eq!(read, bytes.len() as u64, "every raw byte counted");
        Ok(buf)
    }

    #[test]
    fn windows_1252_and_latin1_decode_to_utf8() {
        // "Müller;12,50 €\r\n" in Windows-1252: ü = 0xFC, € = 0x80.
        let raw = b"M\xFCller;12,50 \x80\r\n";
        for target in [1, 3, 1 << 20] {
            let text = decoded(raw, Encoding::Windows1252, target).unwrap();
            assert_eq!(String::from_utf8(text).unwrap(), "Müller;12,50 €\r\n");
        }
        let text = decoded(b"Stra\xDFe", Encoding::Iso8859_1, 4).unwrap();
        assert_eq!(String::from_utf8(text).unwrap(), "Straße");
        // A UTF-8 byte-order mark contradicts the setting.
        let e = decoded(b"\xEF\xBB\xBFid", Encoding::Windows1252, 4).unwrap_err();
        assert!(
            e.contains("UTF-8 byte-order mark") && e.contains("encoding: utf-8"),
            "{e}"
        );
    }

    #[test]
    fn utf16_needs_a_bom_and_follows_it() {
        let text = "id;name\nK-1;Jürgen 🎵\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
        }
        for target in [1, 5, 1 << 20] {
            assert_eq!(
                decoded(&le, Encoding::Utf16, target).unwrap(),
                text.as_bytes()
            );
            assert_eq!(
                decoded(&be, Encoding::Utf16, target).unwrap(),
                text.as_bytes()
            );
        }
        let e = decoded(&le[2..], Encoding::Utf16, 8).unwrap_err();
        assert!(e.contains("byte-order mark"), "{e}");
        // An unpaired surrogate is an error after the text before it, not U+FFFD.
        let mut bad = vec![0xFF, 0xFE, b'a', 0, b'\n', 0];
        bad.extend([0x00, 0xD8, b'b', 0]);
        assert_eq!(
            decoded(&bad, Encoding::Utf16, 1 << 20).unwrap_err(),
            "malformed after 2"
        );
    }

    #[test]
    fn utf8_is_passed_through() {
        let raw = b"\xEF\xBB\xBFa,b\n\xFF";
        assert_eq!(decoded(raw, Encoding::Utf8, 2).unwrap(), raw);
        assert!(not_utf8_hint(b"\xFCller").contains("windows-1252"));
    }
}
