//! The report's look, shared by the charts and the PDF: the embedded fonts and the palette. Both
//! renderers read it; neither imports the other's style.

pub mod brand;
pub mod fonts;

pub use brand::Brand;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// CSS/SVG notation, `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative lightness as a printer renders it in greyscale (0 black .. 1 white).
    pub fn grey_level(self) -> f64 {
        (0.299 * f64::from(self.0) + 0.587 * f64::from(self.1) + 0.114 * f64::from(self.2)) / 255.0
    }
}

/// The palette: one blue hue in clearly different lightness steps, so series stay distinct when
/// printed in greyscale (grey levels ~21%, ~51%, ~79%); every bar and cell is also labelled. A
/// client's [`Brand`] recolours it by role.
pub mod palette {
    use super::Rgb;

    /// Main text.
    pub const INK: Rgb = Rgb(0x1a, 0x24, 0x33);
    /// Secondary text (subtitles, axis labels, details).
    pub const MUTED: Rgb = Rgb(0x55, 0x5f, 0x6d);
    /// Axes and reference lines.
    pub const AXIS: Rgb = Rgb(0x6b, 0x74, 0x80);
    /// Grid lines.
    pub const GRID: Rgb = Rgb(0xe1, 0xe5, 0xea);
    /// Grid lines that must stay visible over the light area fill.
    pub const GRID_ON_AREA: Rgb = Rgb(0xd0, 0xd8, 0xe2);
    /// Darkest series colour (margin bars, the Pareto curve).
    pub const NAVY: Rgb = Rgb(0x1f, 0x3a, 0x5f);
    /// Middle series colour (revenue bars).
    pub const MID: Rgb = Rgb(0x5b, 0x8d, 0xb8);
    /// Lightest series colour (customer bars, callout borders).
    pub const LIGHT: Rgb = Rgb(0xbc, 0xcd, 0xe0);
    /// Fill under the Pareto curve.
    pub const AREA: Rgb = Rgb(0xe8, 0xee, 0xf5);
    /// White, for text on dark cells and callout boxes.
    pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

    /// Shading classes for the RFM grid, lightest first.
    pub const RFM_CLASSES: [Rgb; 5] = [
        Rgb(0xf1, 0xf4, 0xf8),
        Rgb(0xc9, 0xd6, 0xe5),
        Rgb(0x8f, 0xa9, 0xc7),
        Rgb(0x4f, 0x72, 0x9b),
        Rgb(0x1f, 0x3a, 0x5f),
    ];
    /// Lower bounds (share of revenue) of [`RFM_CLASSES`] 1 to 4; class 0 is everything below.
    pub const RFM_BOUNDS: [f64; 4] = [0.01, 0.02, 0.05, 0.10];
}

#[cfg(test)]
mod tests {
    use super::palette::{LIGHT, MID, NAVY, RFM_CLASSES};

    /// The default palette prints in greyscale: its series colours and shading classes are
    /// clearly different shades of grey on a black-and-white printer.
    #[test]
    fn the_default_palette_reads_in_greyscale() {
        let series = [NAVY.grey_level(), MID.grey_level(), LIGHT.grey_level()];
        assert!(series.windows(2).all(|w| w[1] - w[0] > 0.2), "{series:?}");
        let classes: Vec<f64> = RFM_CLASSES.iter().map(|c| c.grey_level()).collect();
        assert!(classes.windows(2).all(|w| w[0] - w[1] > 0.1), "{classes:?}");
    }
}
