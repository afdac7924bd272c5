//! Large JPEGs decoded at a fraction of their size, straight from their DCT coefficients.
//!
//! A JPEG stores 8 × 8 blocks of frequencies; an inverse transform of only the lowest 4 × 4,
//! 2 × 2 or 1 × 1 of them yields the image at 1/2, 1/4 or 1/8 of each side, low-pass filtered
//! (at 1/8 each pixel is its block's mean): libjpeg's `scale_denom`, Pillow's `draft`. A poster
//! photographed or scanned at 12–20 megapixels then skips most of its inverse transforms, colour
//! conversion and upsampling, and the resize after it reads a quarter to a sixty-fourth of the
//! pixels: in the page, a 12-megapixel photo's prediction comes in half the time
//! (docs/PERFORMANCE.md, 27.). Reading the entropy-coded data remains, all of it: progressive
//! JPEGs, which spend most of their time there, gain least.
//!
//! The image crate's decoder (zune-jpeg) cannot decode at a reduced scale; `jpeg-decoder` can.

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, RgbImage};
use jpeg_decoder::{CodingProcess, Decoder, PixelFormat};

/// How many times the model's input size both sides keep after the reduction. At 2 the resize
/// that follows still blends at least two decoded pixels into each output pixel along each
/// side, and the result stays within about half a level of decoding in full on average
/// (Pillow's `thumbnail` keeps the same `reducing_gap`).
const MARGIN: u32 = 2;

/// Decodes `bytes`, a JPEG, at the smallest scale that keeps both sides at least
/// `MARGIN × image_size`, EXIF orientation applied.
///
/// `None` where the caller should decode in full instead: where no reduction is possible (a
/// side under about four times `image_size`); for lossless JPEGs, which have no DCT to scale, and
/// for pixels other than 8-bit greyscale and YCbCr (CMYK), both rare; and where `jpeg-decoder`
/// refuses the file, as it does truncated files that the image crate's decoder completes with
/// grey. Those are then read twice.
pub(crate) fn decode(bytes: &[u8], image_size: u32, max_alloc: u64) -> Option<RgbImage> {
    let mut decoder = Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(usize::try_from(max_alloc).unwrap_or(usize::MAX));
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let channels = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        PixelFormat::L16 | PixelFormat::CMYK32 => return None,
    };
    if !matches!(info.coding_process, CodingProcess::DctSequential | CodingProcess::DctProgressive) {
        return None;
    }
    let eighths = scale_in_eighths(info.width, info.height, MARGIN * image_size)?;
    // `scale` picks the smallest scale at which either side reaches the request; asking for
    // exactly the chosen scale's size gets that scale.
    let (width, height) = decoder.scale(scaled(info.width, eighths), scaled(info.height, eighths)).ok()?;
    let (width, height) = (u32::from(width), u32::from(height));
    let pixels = decoder.decode().ok()?;
    // `from_raw` would accept a longer buffer and read it with the wrong stride.
    if pixels.len() != width as usize * height as usize * channels {
        return None;
    }
    let mut image = match channels {
        1 => DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, pixels)?),
        _ => DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, pixels)?),
    };
    if let Some(orientation) = decoder.exif_data().and_then(Orientation::from_exif_chunk) {
        image.apply_orientation(orientation);
    }
    Some(image.into_rgb8())
}

/// The smallest scale, in eighths of each side (1, 2 or 4), at which both sides keep at least
/// `least` pixels; `None` where only the full size (8) does.
fn scale_in_eighths(width: u16, height: u16, least: u32) -> Option<u16> {
    [1, 2, 4].into_iter().find(|&eighths| u32::from(scaled(width, eighths)).min(u32::from(scaled(height, eighths))) >= least)
}

/// A side's length at `eighths` / 8 of its size, rounded up as the inverse transform does.
fn scaled(length: u16, eighths: u16) -> u16 {
    (u32::from(length) * u32::from(eighths)).div_ceil(8) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_while_both_sides_keep_the_margin() {
        // 224 × 2 = 448 pixels at least on each side.
        assert_eq!(scale_in_eighths(6028, 3391, 448), Some(2)); // 1/8 would leave 424 rows
        assert_eq!(scale_in_eighths(4000, 4000, 448), Some(1)); // 500 × 500
        assert_eq!(scale_in_eighths(3584, 3584, 448), Some(1)); // exactly 448
        assert_eq!(scale_in_eighths(1000, 900, 448), Some(4)); // 500 × 450
        assert_eq!(scale_in_eighths(895, 4000, 448), Some(4)); // half of 895 rounds up to 448
        assert_eq!(scale_in_eighths(894, 4000, 448), None); // half of 894 is 447
    }
}
