//! The embedded font family (DejaVu Sans regular/bold/oblique/bold-oblique and DejaVu Sans Mono),
//! parsed once per process, with advance widths for measuring text and a fallback for characters
//! the fonts lack.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use printpdf::{FontId, ParsedFont};

macro_rules! font_file {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/", $name))
    };
}

static SANS: &[u8] = font_file!("DejaVuSans.ttf");
static SANS_BOLD: &[u8] = font_file!("DejaVuSans-Bold.ttf");
static SANS_ITALIC: &[u8] = font_file!("DejaVuSans-Oblique.ttf");
static SANS_BOLD_ITALIC: &[u8] = font_file!("DejaVuSans-BoldOblique.ttf");
static MONO: &[u8] = font_file!("DejaVuSansMono.ttf");

/// The character drawn in place of one that no embedded font has.
pub const REPLACEMENT: char = '\u{FFFD}';

/// One of the embedded faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Face {
    /// DejaVu Sans.
    Regular,
    /// DejaVu Sans Bold.
    Bold,
    /// DejaVu Sans Oblique.
    Italic,
    /// DejaVu Sans Bold Oblique.
    BoldItalic,
    /// DejaVu Sans Mono.
    Mono,
}

impl Face {
    /// Every face, in resource order.
    pub const ALL: [Face; 5] = [
        Face::Regular,
        Face::Bold,
        Face::Italic,
        Face::BoldItalic,
        Face::Mono,
    ];

    /// The face with the given weight and slant (mono stays mono).
    pub fn styled(self, bold: bool, italic: bool) -> Face {
        if self == Face::Mono {
            return Face::Mono;
        }
        match (bold, italic) {
            (false, false) => Face::Regular,
            (true, false) => Face::Bold,
            (false, true) => Face::Italic,
            (true, true) => Face::BoldItalic,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The PDF resource name; its first six letters double as the subset tag, so they are
    /// six upper-case letters, fixed for deterministic output.
    pub fn resource_name(self) -> &'static str {
        match self {
            Face::Regular => "PBDVSR",
            Face::Bold => "PBDVSB",
            Face::Italic => "PBDVSI",
            Face::BoldItalic => "PBDVSJ",
            Face::Mono => "PBDVSM",
        }
    }

    /// The printpdf font id ([`Face::resource_name`]).
    pub fn font_id(self) -> FontId {
        FontId(self.resource_name().to_string())
    }
}

/// Characters below this are measured from a table built at start-up (Latin, Greek, Cyrillic).
const TABLE_LEN: usize = 0x0530;
const MISSING: u16 = u16::MAX;

/// One parsed face with its advance table.
pub struct FontData {
    /// The font as printpdf parsed it (embedded and subset on save).
    pub parsed: ParsedFont,
    units_per_em: f32,
    /// Advance in font units for chars below TABLE_LEN, MISSING when the font has no glyph.
    table: Vec<u16>,
}

impl FontData {
    fn load(bytes: &[u8]) -> FontData {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .expect("embedded DejaVu font must parse");
        let units_per_em = f32::from(parsed.font_metrics.units_per_em.max(1));
        let mut table = vec![MISSING; TABLE_LEN];
        for (c, slot) in table.iter_mut().enumerate() {
            if let Some(gid) = parsed.lookup_glyph_index(c as u32) {
                if gid != 0 {
                    *slot = parsed.get_horizontal_advance(gid);
                }
            }
        }
        FontData {
            parsed,
            units_per_em,
            table,
        }
    }

    fn advance_units(&self, c: char) -> Option<u16> {
        let cp = c as usize;
        if cp < TABLE_LEN {
            let v = self.table[cp];
            return if v == MISSING { None } else { Some(v) };
        }
        match self.parsed.lookup_glyph_index(c as u32) {
            Some(gid) if gid != 0 => Some(self.parsed.get_horizontal_advance(gid)),
            _ => None,
        }
    }

    /// Whether the face has a glyph for `c`.
    pub fn has(&self, c: char) -> bool {
        self.advance_units(c).is_some()
    }

    /// Advance of `c` in em (0 when missing).
    pub fn advance(&self, c: char) -> f32 {
        self.advance_units(c)
            .map(|u| f32::from(u) / self.units_per_em)
            .unwrap_or(0.0)
    }
}

/// All embedded faces, parsed once; see [`fonts`].
pub struct Fonts {
    faces: Vec<FontData>,
}

static FONTS: OnceLock<Fonts> = OnceLock::new();

/// The process-wide parsed fonts.
pub fn fonts() -> &'static Fonts {
    FONTS.get_or_init(|| Fonts {
        faces: [SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD_ITALIC, MONO]
            .iter()
            .map(|b| FontData::load(b))
            .collect(),
    })
}

impl Fonts {
    /// The data of one face.
    pub fn face(&self, face: Face) -> &FontData {
        &self.faces[face.index()]
    }

    /// Width of `text` in points at `size`, assuming every character is present in `face`
    /// (use [`Fonts::resolve`] first for arbitrary text).
    pub fn width(&self, face: Face, text: &str, size: f64) -> f64 {
        let f = self.face(face);
        let em: f32 = text.chars().map(|c| f.advance(c)).sum();
        f64::from(em) * size
    }

    /// Width of one character in points.
    pub fn char_width(&self, face: Face, c: char, size: f64) -> f64 {
        f64::from(self.face(face).advance(c)) * size
    }

    /// Splits `text` into runs that the embedded fonts can draw: characters missing from `face`
    /// come from the regular face when it has them, or else become [`REPLACEMENT`]. Every
    /// replaced character is added to `missing`. Control characters are dropped, tabs become
    /// spaces, soft hyphens are removed.
    pub fn resolve(
        &self,
        face: Face,
        text: &str,
        missing: &mut BTreeSet<char>,
    ) -> Vec<(Face, String)> {
        let mut runs: Vec<(Face, String)> = Vec::new();
        let primary = self.face(face);
        for c in text.chars() {
            let c = match c {
                '\t' | '\n' | '\r' => ' ',
                '\u{AD}' => continue,
                c if c.is_control() => continue,
                c => c,
            };
            let (f, ch) = if primary.has(c) {
                (face, c)
            } else if face != Face::Regular && self.face(Face::Regular).has(c) {
                (Face::Regular, c)
            } else {
                missing.insert(c);
                if primary.has(REPLACEMENT) {
                    (face, REPLACEMENT)
                } else if self.face(Face::Regular).has(REPLACEMENT) {
                    (Face::Regular, REPLACEMENT)
                } else {
                    (face, '?')
                }
            };
            match runs.last_mut() {
                Some((lf, s)) if *lf == f => s.push(ch),
                _ => runs.push((f, ch.to_string())),
            }
        }
        runs
    }
}

/// A warning for each character that had to be replaced, in code point order.
pub fn missing_glyph_warnings(missing: &BTreeSet<char>) -> Vec<String> {
    missing
        .iter()
        .map(|c| {
            format!(
                "character {:?} (U+{:04X}) is not in the embedded fonts; shown as \u{FFFD}",
                c, *c as u32
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_cover_latin_greek_cyrillic() {
        let f = fonts();
        for face in Face::ALL {
            for c in "Aé€£ßΩαβγЖжЯя–—“”…•→".chars() {
                assert!(f.face(face).has(c), "{face:?} lacks {c}");
            }
            assert!(f.face(face).has(REPLACEMENT) || f.face(Face::Regular).has(REPLACEMENT));
        }
    }

    #[test]
    fn missing_characters_are_replaced_and_reported() {
        let mut missing = BTreeSet::new();
        let runs = fonts().resolve(Face::Bold, "a\u{4E2D}b", &mut missing);
        let text: String = runs.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(text, "a\u{FFFD}b");
        assert!(missing.contains(&'\u{4E2D}'));
        assert!(missing_glyph_warnings(&missing)[0].contains("U+4E2D"));
    }

    #[test]
    fn widths_are_positive_and_additive() {
        let f = fonts();
        let a = f.width(Face::Regular, "Revenue", 10.0);
        let b = f.width(Face::Regular, "Reve", 10.0) + f.width(Face::Regular, "nue", 10.0);
        assert!(a > 20.0 && (a - b).abs() < 1e-9);
        assert!(f.width(Face::Bold, "Revenue", 10.0) > a);
    }
}
