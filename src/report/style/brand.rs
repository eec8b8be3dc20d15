//! The client's brand colours (`report.brand: { primary: "#1f3a5f", accent: "#c8102e" }`).
//!
//! Every colour of the report plays a role in the default [`palette`](super::palette): the
//! darkest series colour heads sections and tables and draws a chart's main series, the middle one
//! marks and draws the second series, the light ones fill and tint. A brand recolours by role:
//! the primary colour takes the darkest role, tints of it the light roles, the accent (or a tint
//! of the primary) the middle role. Text, axes and grids keep their neutral greys, so a report
//! reads the same; without a brand nothing changes.

use super::palette::{AREA, GRID_ON_AREA, LIGHT, MID, NAVY, RFM_CLASSES};
use super::Rgb;

/// The brand: a primary colour and an optional accent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brand {
    /// Headings, table header rows and rules, a chart's main series.
    pub primary: Rgb,
    /// Title-page line, list markers and a chart's second series; a tint of the primary when
    /// `None`.
    pub accent: Option<Rgb>,
}

/// How far toward white each light role of the palette sits, as a tint of the primary colour.
const TINTS: [(Rgb, f64); 7] = [
    (LIGHT, 0.70),
    (AREA, 0.90),
    (GRID_ON_AREA, 0.80),
    (RFM_CLASSES[0], 0.93),
    (RFM_CLASSES[1], 0.75),
    (RFM_CLASSES[2], 0.50),
    (RFM_CLASSES[3], 0.25),
];

impl Brand {
    /// The least contrast against white paper (WCAG 2's ratio) a primary colour needs: headings
    /// are drawn in it, and table headers in white on it. 3:1 is WCAG's minimum for large and bold
    /// text.
    pub const MIN_CONTRAST: f64 = 3.0;

    /// The colour to paint where the default palette paints `c`.
    pub fn recolour(&self, c: Rgb) -> Rgb {
        if c == NAVY {
            return self.primary;
        }
        if c == MID {
            return self.accent.unwrap_or_else(|| self.primary.tint(0.45));
        }
        TINTS
            .iter()
            .find(|(role, _)| *role == c)
            .map_or(c, |(_, t)| self.primary.tint(*t))
    }
}

impl Rgb {
    /// A colour written `#rrggbb` or `#rgb` (hex digits in any case, surrounding spaces
    /// ignored); `None` for anything else.
    pub fn parse_hex(text: &str) -> Option<Rgb> {
        let hex = text.trim().strip_prefix('#')?;
        if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize, n: usize| u8::from_str_radix(&hex[i..i + n], 16).ok();
        match hex.len() {
            6 => Some(Rgb(digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
            3 => {
                let twice = |i| digit(i, 1).map(|d| d * 17);
                Some(Rgb(twice(0)?, twice(1)?, twice(2)?))
            }
            _ => None,
        }
    }

    /// WCAG 2's contrast ratio of the colour against white (1 for white, 21 for black).
    pub fn contrast_on_white(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let l = 0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2);
        1.05 / (l + 0.05)
    }

    /// The colour moved toward white by `t` (0 itself, 1 white).
    pub fn tint(self, t: f64) -> Rgb {
        let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * t).round() as u8;
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }
}

#[cfg(test)]
mod tests {
    use super::super::palette::{INK, MUTED, WHITE};
    use super::*;

    #[test]
    fn colours_parse_in_both_notations() {
        assert_eq!(Rgb::parse_hex("#1f3a5f"), Some(Rgb(0x1f, 0x3a, 0x5f)));
        assert_eq!(Rgb::parse_hex(" #C8102E "), Some(Rgb(0xc8, 0x10, 0x2e)));
        assert_eq!(Rgb::parse_hex("#fff"), Some(Rgb(255, 255, 255)));
        for bad in ["1f3a5f", "#1f3a5", "#1f3a5g", "navy", "#", "", "#+1f3a5"] {
            assert_eq!(Rgb::parse_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_brand_takes_the_palette_roles() {
        let brand = Brand {
            primary: Rgb(0x10, 0x20, 0x30),
            accent: Some(Rgb(0xc8, 0x10, 0x2e)),
        };
        assert_eq!(brand.recolour(NAVY), Rgb(0x10, 0x20, 0x30));
        assert_eq!(brand.recolour(MID), Rgb(0xc8, 0x10, 0x2e));
        assert_eq!(brand.recolour(RFM_CLASSES[4]), brand.primary);
        // 16 + (255 - 16) * 0.7 = 183.3, 32 + 223 * 0.7 = 188.1, 48 + 207 * 0.7 = 192.9
        assert_eq!(brand.recolour(LIGHT), Rgb(183, 188, 193));
        for neutral in [INK, MUTED, WHITE] {
            assert_eq!(brand.recolour(neutral), neutral);
        }
        let no_accent = Brand {
            accent: None,
            ..brand
        };
        assert_eq!(no_accent.recolour(MID), brand.primary.tint(0.45));
    }

    #[test]
    fn contrast_against_white_follows_wcag() {
        assert!((Rgb(0, 0, 0).contrast_on_white() - 21.0).abs() < 1e-9);
        assert!((Rgb(255, 255, 255).contrast_on_white() - 1.0).abs() < 1e-9);
        // #767676 is the lightest grey with 4.5:1 on white.
        assert!((Rgb(0x76, 0x76, 0x76).contrast_on_white() - 4.54).abs() < 0.01);
        assert!(NAVY.contrast_on_white() > Brand::MIN_CONTRAST);
        assert!(Rgb(0xff, 0xd7, 0x00).contrast_on_white() < Brand::MIN_CONTRAST);
    }

    #[test]
    fn tinted_shading_classes_keep_their_order() {
        let brand = Brand {
            primary: Rgb(0xc8, 0x10, 0x2e),
            accent: None,
        };
        let levels: Vec<f64> = RFM_CLASSES
            .iter()
            .map(|c| brand.recolour(*c).grey_level())
            .collect();
        assert!(levels.windows(2).all(|w| w[0] > w[1]), "{levels:?}");
    }
}
