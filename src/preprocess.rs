//! Image bytes → model input. The trainer and the browser both call this, so the network sees
//! the same pixels in both.

use std::io::Cursor;

use burn::tensor::{Device, Tensor, TensorData};
use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::U8x3;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use serde::{Deserialize, Serialize};

use crate::reduced_jpeg;

/// How pixel values in `[0, 1]` are mapped before the network sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// ImageNet mean and standard deviation, for the original B0–B7 checkpoints.
    Imagenet,
    /// `x·2 − 1`, for checkpoints trained with adversarial propagation.
    Advprop,
    /// `(x − 0.5) / 0.5`, for the Lite checkpoints.
    Lite,
}

const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

impl Normalization {
    /// `(scale, offset)` per channel such that `normalised = pixel / 255 · scale + offset`.
    fn affine(self) -> [(f32, f32); 3] {
        match self {
            Normalization::Imagenet => {
                core::array::from_fn(|c| (1.0 / IMAGENET_STD[c], -IMAGENET_MEAN[c] / IMAGENET_STD[c]))
            }
            Normalization::Advprop | Normalization::Lite => [(2.0, -1.0); 3],
        }
    }
}

/// Guards against decompression bombs and absurd inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest encoded file accepted.
    pub max_bytes: usize,
    /// Largest decoded width × height accepted, of the image and of a GIF's first frame.
    pub max_pixels: u64,
    /// Most scans a JPEG may have. A progressive JPEG has about ten; every scan is a pass over
    /// the whole image, so a small file repeating one thousands of times holds a core for minutes.
    pub max_jpeg_scans: usize,
}

impl Default for DecodeLimits {
    /// 64 MiB files and 64 megapixels: far above any poster scan, far below memory trouble.
    fn default() -> Self {
        Self { max_bytes: 64 << 20, max_pixels: 64_000_000, max_jpeg_scans: 100 }
    }
}

/// Why an image could not be turned into model input. Each message is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("truncated JPEG: the file ends before its image data does (decoding it would fill the rest with grey)")]
    Truncated,
    #[error("file is {bytes} bytes, more than the {limit}-byte limit")]
    TooManyBytes { bytes: usize, limit: usize },
    #[error("image is {width}×{height} pixels, more than the {limit}-pixel limit")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("JPEG has {scans} scans, more than the {limit}-scan limit (a progressive JPEG has about 10)")]
    TooManyScans { scans: usize, limit: usize },
    #[error("not a supported image (JPEG, PNG, WebP, GIF or BMP)")]
    UnknownFormat,
    #[error("cannot decode image: {0}")]
    Undecodable(String),
}

/// Decodes, resizes and normalises images for one model.
#[derive(Clone, Debug)]
pub struct Preprocessor {
    pub image_size: usize,
    pub normalization: Normalization,
    pub limits: DecodeLimits,
}

impl Preprocessor {
    pub fn new(image_size: usize, normalization: Normalization) -> Self {
        Self { image_size, normalization, limits: DecodeLimits::default() }
    }

    /// Decodes any supported format to upright 8-bit RGB: EXIF orientation applied, grey,
    /// alpha, 16-bit and CMYK converted, only the first frame of an animation.
    ///
    /// A JPEG about four times the input size or more on both sides comes out smaller, at 1/2,
    /// 1/4 or 1/8 of its size but never under twice the input size (src/reduced_jpeg.rs):
    /// resizing it gives nearly the pixels a full decode would, in half the time or less for a
    /// baseline JPEG (progressive ones gain less).
    pub fn decode(&self, bytes: &[u8]) -> Result<RgbImage, ImageError> {
        if bytes.is_empty() {
            return Err(ImageError::Empty);
        }
        if bytes.len() > self.limits.max_bytes {
            return Err(ImageError::TooManyBytes { bytes: bytes.len(), limit: self.limits.max_bytes });
        }
        let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()
            .map_err(|error| ImageError::Undecodable(error.to_string()))?;
        let Some(format) = reader.format() else {
            return Err(ImageError::UnknownFormat);
        };
        self.check_budget(format, bytes)?;
        let mut decoder = reader.into_decoder().map_err(undecodable)?;
        let (width, height) = decoder.dimensions();
        if u64::from(width) * u64::from(height) > self.limits.max_pixels {
            return Err(ImageError::TooManyPixels { width, height, limit: self.limits.max_pixels });
        }
        // Room for the largest layout (16-bit RGBA) of an image that passed the pixel check.
        let max_alloc = self.limits.max_pixels * 8 + (1 << 20);
        if format == ImageFormat::Jpeg
            && let Some(image) = reduced_jpeg::decode(bytes, self.image_size as u32, max_alloc)
        {
            return Ok(image);
        }
        let mut limits = Limits::default();
        limits.max_alloc = Some(max_alloc);
        decoder.set_limits(limits).map_err(undecodable)?;
        let orientation = decoder.orientation().map_err(undecodable)?;
        let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
        image.apply_orientation(orientation);
        Ok(image.into_rgb8())
    }

    /// Refuses, before any decoding, what would cost far more than its size suggests or decode
    /// only partly: JPEGs with too many scans or cut short, GIFs whose first frame is larger
    /// than the pixel limit (a frame may exceed the logical screen the decoder reports).
    fn check_budget(&self, format: ImageFormat, bytes: &[u8]) -> Result<(), ImageError> {
        match format {
            ImageFormat::Jpeg => {
                let scans = bytes.windows(2).filter(|pair| *pair == [0xFF, 0xDA]).count();
                if scans > self.limits.max_jpeg_scans {
                    return Err(ImageError::TooManyScans { scans, limit: self.limits.max_jpeg_scans });
                }
                if jpeg_is_truncated(bytes) {
                    return Err(ImageError::Truncated);
                }
            }
            ImageFormat::Gif => {
                if let Some((width, height)) = gif_first_frame(bytes)
                    && u64::from(width) * u64::from(height) > self.limits.max_pixels
                {
                    return Err(ImageError::TooManyPixels { width, height, limit: self.limits.max_pixels });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Squashes the whole image to `image_size × image_size` with bicubic (Catmull-Rom) filtering,
    /// widened when shrinking so that every source pixel counts, as Pillow's `BICUBIC` does. No
    /// crop: a small logo in the corner of a tall poster must survive.
    ///
    /// `fast_image_resize` runs it with SIMD natively and in WebAssembly. The `image` crate's
    /// `imageops::resize`, same filter, took 59 ms natively for an A4 poster scanned at 300 dpi,
    /// twice as long as decoding it, and 2 ms for a 300 × 420 photo (docs/PERFORMANCE.md, 26.).
    pub fn resize(&self, image: &RgbImage) -> RgbImage {
        let size = self.image_size as u32;
        resize_rgb(image, size, size)
    }

    /// Planar (CHW) normalised values of an already resized image.
    pub fn normalize(&self, image: &RgbImage) -> Vec<f32> {
        let plane = (image.width() * image.height()) as usize;
        let affine = self.normalization.affine();
        let mut values = vec![0.0; 3 * plane];
        for (index, pixel) in image.pixels().enumerate() {
            for (channel, (scale, offset)) in affine.iter().enumerate() {
                values[channel * plane + index] = f32::from(pixel[channel]) / 255.0 * scale + offset;
            }
        }
        values
    }

    /// Encoded bytes → one CHW input.
    pub fn prepare(&self, bytes: &[u8]) -> Result<Vec<f32>, ImageError> {
        Ok(self.normalize(&self.resize(&self.decode(bytes)?)))
    }

    /// Stacks prepared inputs into a batch.
    ///
    /// # Shapes
    /// - output: `[inputs.len(), 3, image_size, image_size]`
    pub fn batch(&self, inputs: &[Vec<f32>], device: &Device) -> Tensor<4> {
        let size = self.image_size;
        let values: Vec<f32> = inputs.iter().flatten().copied().collect();
        Tensor::from_data(TensorData::new(values, [inputs.len(), 3, size, size]), device)
    }
}

/// Whether a JPEG stops before its end-of-image marker. The image crate's decoder completes such
/// a file with grey and says nothing, so a poster cut off mid-download would be classified from
/// half a picture. Walks the marker segments to the first start-of-scan (so that an EXIF
/// thumbnail's own end marker does not count), then looks for the end marker after it; entropy-
/// coded data cannot contain one. A file too malformed to walk is left to the decoder.
fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    let mut at = 2;
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return false;
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let Some(&marker) = bytes.get(at) else { return true };
        at += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => {}
            0xD9 => return false,
            _ => {
                let Some(length) = bytes.get(at..at + 2) else { return true };
                if marker == 0xDA {
                    break;
                }
                at += usize::from(u16::from_be_bytes([length[0], length[1]]));
                if at >= bytes.len() {
                    return true;
                }
            }
        }
    }
    !bytes[at..].windows(2).rev().any(|pair| pair == [0xFF, 0xD9])
}

/// The size of a GIF's first frame (its image descriptor), or `None` where the blocks before it
/// cannot be walked (the decoder then says what is wrong).
fn gif_first_frame(bytes: &[u8]) -> Option<(u32, u32)> {
    let word = |at: usize| bytes.get(at..at + 2).map(|pair| u32::from(u16::from_le_bytes([pair[0], pair[1]])));
    let packed = *bytes.get(10)?;
    let mut at = 13 + if packed & 0x80 != 0 { 3 << ((packed & 7) + 1) } else { 0 };
    loop {
        match *bytes.get(at)? {
            0x2C => return Some((word(at + 5)?, word(at + 7)?)),
            0x21 => {
                at += 2;
                loop {
                    let size = usize::from(*bytes.get(at)?);
                    at += 1 + size;
                    if size == 0 {
                        break;
                    }
                }
            }
            _ => return None,
        }
    }
}

fn undecodable(error: image::ImageError) -> ImageError {
    match error {
        image::ImageError::Unsupported(_) => ImageError::UnknownFormat,
        other => ImageError::Undecodable(other.to_string().replace('\n', " ")),
    }
}

/// `image` resized to `width × height` with the filter [`Preprocessor::resize`] uses.
pub fn resize_rgb(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    if image.dimensions() == (width, height) {
        return image.clone();
    }
    // Typed to RGB8: the untyped API carries code for every pixel type, 0.35 MB of gzipped wasm.
    let source = TypedImageRef::<U8x3>::from_buffer(image.width(), image.height(), image.as_raw())
        .expect("an RgbImage holds width × height RGB pixels, and bytes need no alignment");
    let mut values = vec![0; 3 * width as usize * height as usize];
    let mut resized = TypedImage::<U8x3>::from_buffer(width, height, &mut values).expect("width × height RGB pixels");
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    Resizer::new().resize_typed(&source, &mut resized, &options).expect("a source and a target, both RGB8");
    RgbImage::from_raw(width, height, values).expect("width × height RGB pixels")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    fn gradient(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| Rgb([(x * 7) as u8, (y * 5) as u8, 128]))
    }

    #[test]
    fn every_supported_format_decodes_to_the_same_rgb() {
        let original = DynamicImage::ImageRgb8(gradient(20, 12));
        let preprocessor = Preprocessor::new(8, Normalization::Lite);
        for format in [ImageFormat::Png, ImageFormat::Bmp, ImageFormat::WebP] {
            let decoded = preprocessor.decode(&encode(&original, format)).unwrap();
            assert_eq!(decoded, original.to_rgb8(), "{format:?}");
        }
        let jpeg = preprocessor.decode(&encode(&original, ImageFormat::Jpeg)).unwrap();
        assert_eq!(jpeg.dimensions(), (20, 12));
        let gif = preprocessor.decode(&encode(&original, ImageFormat::Gif)).unwrap();
        assert_eq!(gif.dimensions(), (20, 12));
    }

    #[test]
    fn grey_alpha_and_sixteen_bit_become_rgb8() {
        let preprocessor = Preprocessor::new(8, Normalization::Lite);
        let grey = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(4, 4, image::Luma([77])));
        assert_eq!(preprocessor.decode(&encode(&grey, ImageFormat::Png)).unwrap().get_pixel(1, 1), &Rgb([77, 77, 77]));
        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(4, 4, image::Rgba([10, 20, 30, 0])));
        assert_eq!(preprocessor.decode(&encode(&rgba, ImageFormat::Png)).unwrap().get_pixel(0, 0), &Rgb([10, 20, 30]));
        let deep = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(4, 4, Rgb([65535u16, 0, 32896])));
        assert_eq!(preprocessor.decode(&encode(&deep, ImageFormat::Png)).unwrap().get_pixel(3, 3), &Rgb([255, 0, 128]));
    }

    /// `jpeg` with an EXIF block saying orientation 6, "rotate 90° clockwise".
    fn rotated_clockwise(jpeg: &[u8]) -> Vec<u8> {
        let exif: &[u8] = &[
            0xFF, 0xE1, 0x00, 0x22, b'E', b'x', b'i', b'f', 0, 0, // APP1 header
            b'M', b'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, // big-endian TIFF header
            0x00, 0x01, // one IFD entry
            0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, // Orientation = 6
            0x00, 0x00, 0x00, 0x00, // no next IFD
        ];
        [&jpeg[..2], exif, &jpeg[2..]].concat()
    }

    #[test]
    fn exif_orientation_is_applied() {
        let jpeg = encode(&DynamicImage::ImageRgb8(gradient(32, 16)), ImageFormat::Jpeg);
        let preprocessor = Preprocessor::new(8, Normalization::Lite);
        let upright = image::imageops::rotate90(&preprocessor.decode(&jpeg).unwrap());
        assert_eq!(preprocessor.decode(&rotated_clockwise(&jpeg)).unwrap(), upright);
    }

    /// A poster-like JPEG: soft gradients, a few hard-edged shapes, some fine texture.
    fn poster_jpeg(width: u32, height: u32) -> Vec<u8> {
        let poster = RgbImage::from_fn(width, height, |x, y| {
            let in_logo = (x / 97 + y / 61) % 5 == 0;
            let texture = ((x * 31 + y * 17) % 23) as u8;
            if in_logo { Rgb([200, 30 + texture, 40]) } else { Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 120 + texture]) }
        });
        encode(&DynamicImage::ImageRgb8(poster), ImageFormat::Jpeg)
    }

    #[test]
    fn large_jpegs_decode_reduced_to_nearly_the_same_input() {
        let preprocessor = Preprocessor::new(224, Normalization::Lite);
        let jpeg = poster_jpeg(1000, 1900);
        // Half of each side (1/4 would leave 250 columns, under twice 224).
        let reduced = preprocessor.decode(&jpeg).unwrap();
        assert_eq!(reduced.dimensions(), (500, 950));
        let full = image::load_from_memory(&jpeg).unwrap().into_rgb8();
        let (reduced, full) = (preprocessor.resize(&reduced), preprocessor.resize(&full));
        let differences: Vec<u8> = reduced.as_raw().iter().zip(full.as_raw()).map(|(&a, &b)| a.abs_diff(b)).collect();
        let mean = differences.iter().map(|&d| f64::from(d)).sum::<f64>() / differences.len() as f64;
        let largest = differences.iter().max().unwrap();
        assert!(mean < 0.5 && *largest <= 16, "mean {mean:.2}, largest {largest} levels off a full decode");

        // EXIF orientation holds on this path too.
        let upright = image::imageops::rotate90(&preprocessor.decode(&jpeg).unwrap());
        assert_eq!(preprocessor.decode(&rotated_clockwise(&jpeg)).unwrap(), upright);
        // Under about four times the input size on a side, the image decodes in full.
        assert_eq!(preprocessor.decode(&poster_jpeg(890, 1900)).unwrap().dimensions(), (890, 1900));
    }

    #[test]
    fn truncated_jpegs_are_refused_whole_ones_with_trailing_bytes_are_not() {
        // Large (the reduced path) and small (the image crate's decoder, which would fill in grey).
        let preprocessor = Preprocessor::new(224, Normalization::Lite);
        for jpeg in [poster_jpeg(1000, 1900), poster_jpeg(300, 420)] {
            for cut in [jpeg.len() * 9 / 10, jpeg.len() / 2, jpeg.len() - 2] {
                assert_eq!(preprocessor.decode(&jpeg[..cut]).unwrap_err(), ImageError::Truncated, "cut at {cut}");
            }
            let mut padded = jpeg.clone();
            padded.extend_from_slice(b"trailing bytes after the end marker");
            assert!(preprocessor.decode(&padded).is_ok());
        }
        // An EXIF thumbnail's end marker before the scan does not make a cut file whole.
        let rotated = rotated_clockwise(&poster_jpeg(300, 420));
        assert_eq!(preprocessor.decode(&rotated[..rotated.len() / 2]).unwrap_err(), ImageError::Truncated);
        let mut fake_thumbnail = poster_jpeg(300, 420);
        let app1 = [0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00];
        fake_thumbnail.splice(2..2, app1);
        let cut = fake_thumbnail.len() / 2;
        assert_eq!(preprocessor.decode(&fake_thumbnail[..cut]).unwrap_err(), ImageError::Truncated);
        assert!(preprocessor.decode(&fake_thumbnail).is_ok());
    }

    /// A baseline JPEG whose scan (SOS segment and entropy data) is repeated `times` times.
    fn scan_bomb(times: usize) -> Vec<u8> {
        let jpeg = poster_jpeg(300, 420);
        let sos = jpeg.windows(2).position(|pair| pair == [0xFF, 0xDA]).unwrap();
        let scan = &jpeg[sos..jpeg.len() - 2];
        let mut bomb = jpeg[..sos].to_vec();
        for _ in 0..times {
            bomb.extend_from_slice(scan);
        }
        bomb.extend_from_slice(&[0xFF, 0xD9]);
        bomb
    }

    /// A GIF whose logical screen is 1 × 1 but whose first frame is `width` × `height`.
    fn frame_bomb(width: u16, height: u16) -> Vec<u8> {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0]); // 1×1 screen, 2-colour global table
        gif.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        gif.extend_from_slice(&[0x21, 0xF9, 4, 0, 0, 0, 0, 0]); // a graphic control extension
        gif.push(0x2C);
        gif.extend_from_slice(&[0, 0, 0, 0]);
        gif.extend_from_slice(&width.to_le_bytes());
        gif.extend_from_slice(&height.to_le_bytes());
        gif.extend_from_slice(&[0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
        gif
    }

    #[test]
    fn decode_budgets_refuse_scan_and_frame_bombs_before_decoding() {
        let preprocessor = Preprocessor::new(224, Normalization::Lite);
        assert_eq!(preprocessor.decode(&scan_bomb(3000)).unwrap_err(), ImageError::TooManyScans { scans: 3000, limit: 100 });
        assert!(preprocessor.decode(&scan_bomb(1)).is_ok());
        let error = preprocessor.decode(&frame_bomb(10_000, 10_000)).unwrap_err();
        assert_eq!(error, ImageError::TooManyPixels { width: 10_000, height: 10_000, limit: 64_000_000 });
        assert_eq!(gif_first_frame(&frame_bomb(3, 4)), Some((3, 4)));
    }

    #[test]
    fn resizes_the_whole_image_without_cropping() {
        // A tall image with a red band at the very bottom keeps the band after resizing.
        let mut tall = RgbImage::from_pixel(60, 300, Rgb([255, 255, 255]));
        for y in 270..300 {
            for x in 0..60 {
                tall.put_pixel(x, y, Rgb([255, 0, 0]));
            }
        }
        let resized = Preprocessor::new(20, Normalization::Lite).resize(&tall);
        assert_eq!(resized.dimensions(), (20, 20));
        assert_eq!(resized.get_pixel(10, 19), &Rgb([255, 0, 0]));
        assert_eq!(resized.get_pixel(10, 5), &Rgb([255, 255, 255]));
    }

    /// Weights of the Catmull-Rom filter (cubic, a = −0.5) for each output pixel along one axis,
    /// the filter widened by the scale when shrinking: Pillow's `BICUBIC`, in floating point.
    fn catmull_rom_weights(source: u32, target: u32) -> Vec<Vec<(usize, f64)>> {
        let cubic = |x: f64| match x.abs() {
            x if x < 1.0 => (1.5 * x - 2.5) * x * x + 1.0,
            x if x < 2.0 => ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0,
            _ => 0.0,
        };
        let scale = f64::from(source) / f64::from(target);
        let widening = scale.max(1.0);
        (0..target)
            .map(|output| {
                let centre = (f64::from(output) + 0.5) * scale;
                let first = (centre - 2.0 * widening + 0.5).floor().max(0.0) as usize;
                let last = ((centre + 2.0 * widening + 0.5).floor() as usize).min(source as usize);
                let raw: Vec<(usize, f64)> = (first..last).map(|k| (k, cubic((k as f64 - centre + 0.5) / widening))).collect();
                let total: f64 = raw.iter().map(|&(_, weight)| weight).sum();
                raw.into_iter().map(|(k, weight)| (k, weight / total)).collect()
            })
            .collect()
    }

    /// Resizes with [`catmull_rom_weights`]: columns first, rounded to 8 bits, then rows.
    fn reference_resize(image: &RgbImage, size: u32) -> RgbImage {
        let to_u8 = |value: f64| value.round().clamp(0.0, 255.0) as u8;
        let (rows, columns) = (catmull_rom_weights(image.height(), size), catmull_rom_weights(image.width(), size));
        let tall = RgbImage::from_fn(image.width(), size, |x, y| {
            Rgb(std::array::from_fn(|c| to_u8(rows[y as usize].iter().map(|&(k, w)| w * f64::from(image.get_pixel(x, k as u32)[c])).sum())))
        });
        RgbImage::from_fn(size, size, |x, y| {
            Rgb(std::array::from_fn(|c| to_u8(columns[x as usize].iter().map(|&(k, w)| w * f64::from(tall.get_pixel(k as u32, y)[c])).sum())))
        })
    }

    #[test]
    fn resizing_is_catmull_rom_bicubic() {
        // Noise, so that another filter (bilinear, nearest, no widening when shrinking) shows.
        let mut state = 12345u32;
        let mut noise = |width, height| {
            RgbImage::from_fn(width, height, |_, _| {
                Rgb(std::array::from_fn(|_| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (state >> 24) as u8
                }))
            })
        };
        // Shrinking a little and a lot, and enlarging.
        for (width, height, size) in [(300, 420, 224), (97, 61, 20), (7, 5, 20)] {
            let image = noise(width, height);
            let resized = Preprocessor::new(size as usize, Normalization::Lite).resize(&image);
            let reference = reference_resize(&image, size);
            let largest = resized.as_raw().iter().zip(reference.as_raw()).map(|(&a, &b)| a.abs_diff(b)).max().unwrap();
            // The library computes in fixed point.
            assert!(largest <= 2, "{width}×{height} → {size}²: up to {largest} levels off Catmull-Rom");
        }
    }

    #[test]
    fn normalisations_follow_their_conventions() {
        let image = RgbImage::from_pixel(1, 1, Rgb([0, 255, 128]));
        let lite = Preprocessor::new(1, Normalization::Lite).normalize(&image);
        assert_eq!(lite[..2], [-1.0, 1.0]);
        assert!((lite[2] - (128.0 / 255.0 * 2.0 - 1.0)).abs() < 1e-6);
        let imagenet = Preprocessor::new(1, Normalization::Imagenet).normalize(&image);
        assert!((imagenet[0] - (-0.485 / 0.229)).abs() < 1e-5);
        assert!((imagenet[1] - ((1.0 - 0.456) / 0.224)).abs() < 1e-5);
    }

    #[test]
    fn refuses_bad_input_with_one_line_reasons() {
        let preprocessor = Preprocessor::new(8, Normalization::Lite);
        assert_eq!(preprocessor.decode(&[]), Err(ImageError::Empty));
        assert_eq!(preprocessor.decode(b"just some text, not an image"), Err(ImageError::UnknownFormat));
        let png = encode(&DynamicImage::ImageRgb8(gradient(64, 64)), ImageFormat::Png);
        let truncated = preprocessor.decode(&png[..png.len() / 2]).unwrap_err();
        assert!(matches!(truncated, ImageError::Undecodable(_)), "{truncated}");
        assert!(!truncated.to_string().contains('\n'));

        let strict = Preprocessor { limits: DecodeLimits { max_bytes: 1 << 20, max_pixels: 1000, ..DecodeLimits::default() }, ..preprocessor };
        let error = strict.decode(&png).unwrap_err();
        assert_eq!(error.to_string(), "image is 64×64 pixels, more than the 1000-pixel limit");
    }
}

