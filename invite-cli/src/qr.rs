//! QR codes for invitation URLs: in the terminal (Unicode half blocks, two modules per
//! character cell), as PNG and as SVG, and back from a PNG.
//!
//! The error-correction level is chosen per payload: the strongest level whose code still fits
//! an 80-column terminal, else the level that keeps the code smallest. Codes above version 20
//! (97 modules a side) are hard to scan from a screen, and the caller is told so.

use std::path::Path;

use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode, Version};

use anyhow::{Context, Result, anyhow};

/// Quiet zone that qrcode draws around a code, in modules, on each side.
const QUIET_ZONE: usize = 4;
/// The terminal width a code should fit.
pub const TERMINAL_COLUMNS: usize = 80;
/// Above this version, phone cameras struggle to read a code off a screen.
pub const MAX_SCREEN_VERSION: i16 = 20;

/// A QR code with the choices made for it.
pub struct InvitationQr {
    code: QrCode,
    level: EcLevel,
}

impl std::fmt::Debug for InvitationQr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationQr").field("version", &self.version()).field("level", &self.level()).finish()
    }
}

/// Which way round to draw in a terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TerminalTheme {
    /// Light text on a dark background (most terminals): light modules are drawn.
    #[default]
    Dark,
    /// Dark text on a light background: dark modules are drawn.
    Light,
}

impl InvitationQr {
    /// Encodes `data`, choosing the error-correction level as the module doc says.
    pub fn new(data: &str) -> Result<Self> {
        let mut smallest: Option<(QrCode, EcLevel)> = None;
        for level in [EcLevel::H, EcLevel::Q, EcLevel::M, EcLevel::L] {
            let Ok(code) = QrCode::with_error_correction_level(data, level) else { continue };
            if code.width() + 2 * QUIET_ZONE <= TERMINAL_COLUMNS {
                return Ok(InvitationQr { code, level });
            }
            smallest = Some((code, level));
        }
        let (code, level) = smallest.ok_or_else(|| {
            anyhow!("QR encoding failed: {} bytes do not fit in a QR code at all (at most 2953)", data.len())
        })?;
        Ok(InvitationQr { code, level })
    }

    /// The QR version (1-40).
    pub fn version(&self) -> i16 {
        match self.code.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        }
    }

    /// Modules per side, without the quiet zone.
    pub fn modules(&self) -> usize {
        self.code.width()
    }

    /// The error-correction level as its letter (L, M, Q, H).
    pub fn level(&self) -> char {
        match self.level {
            EcLevel::L => 'L',
            EcLevel::M => 'M',
            EcLevel::Q => 'Q',
            EcLevel::H => 'H',
        }
    }

    /// Whether the terminal rendering fits in [`TERMINAL_COLUMNS`].
    pub fn fits_terminal(&self) -> bool {
        self.modules() + 2 * QUIET_ZONE <= TERMINAL_COLUMNS
    }

    /// Whether a phone can be expected to read the code off a screen.
    pub fn screen_scannable(&self) -> bool {
        self.version() <= MAX_SCREEN_VERSION
    }

    /// The code as lines of Unicode half blocks.
    pub fn to_terminal(&self, theme: TerminalTheme) -> String {
        let (dark, light) = match theme {
            TerminalTheme::Dark => (unicode::Dense1x2::Light, unicode::Dense1x2::Dark),
            TerminalTheme::Light => (unicode::Dense1x2::Dark, unicode::Dense1x2::Light),
        };
        self.code.render::<unicode::Dense1x2>().dark_color(dark).light_color(light).quiet_zone(true).build()
    }

    /// The code as an SVG document.
    pub fn to_svg(&self) -> String {
        self.code.render::<svg::Color<'_>>().min_dimensions(256, 256).quiet_zone(true).build()
    }

    /// Writes the code as a PNG, at least 512 pixels a side.
    pub fn write_png(&self, path: &Path) -> Result<()> {
        let image = self.code.render::<image::Luma<u8>>().min_dimensions(512, 512).quiet_zone(true).build();
        image
            .save_with_format(path, image::ImageFormat::Png)
            .with_context(|| format!("PNG encoding failed: {}", path.display()))
    }
}

/// Reads the text of the first QR code found in an image file.
pub fn decode_image(path: &Path) -> Result<String> {
    let image = image::open(path).with_context(|| format!("cannot read image {}", path.display()))?;
    let mut prepared = rqrr::PreparedImage::prepare(image.to_luma8());
    let grid =
        prepared.detect_grids().into_iter().next().ok_or_else(|| anyhow!("no QR code found in {}", path.display()))?;
    let (_, text) = grid.decode().map_err(|e| anyhow!("QR code in {} is unreadable: {e}", path.display()))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_payloads_get_the_strongest_level_that_fits_a_terminal() {
        let qr = InvitationQr::new("https://m.example/oob?_oobid=0123456789abcdef0123456789abcdef").expect("qr");
        assert_eq!(qr.level(), 'H');
        assert!(qr.fits_terminal());
        let rendered = qr.to_terminal(TerminalTheme::Dark);
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() <= TERMINAL_COLUMNS));
        // Two modules per character cell vertically.
        assert_eq!(lines.len(), (qr.modules() + 2 * QUIET_ZONE).div_ceil(2));
    }

    #[test]
    fn long_payloads_fall_back_to_the_smallest_code_and_say_so() {
        let long = "x".repeat(1500);
        let qr = InvitationQr::new(&long).expect("qr");
        assert_eq!(qr.level(), 'L');
        assert!(!qr.fits_terminal());
        assert!(!qr.screen_scannable());
        assert!(InvitationQr::new(&"x".repeat(4000)).is_err());
    }
}
