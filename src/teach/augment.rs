//! Light augmentation that keeps the whole poster, and so the logo, in frame: horizontal flip,
//! a small zoom-out with shift, and colour jitter. Never a crop. The trainer and the page's
//! whole-network Teach draw the same for the same seed.

use image::{Rgb, RgbImage, imageops};
use rand::Rng;
use rand::rngs::StdRng;

/// Largest zoom-out: the image shrinks to between this and 100 % of the canvas.
const MIN_SCALE: f32 = 0.85;
/// Brightness, contrast and saturation each vary by up to ± this fraction.
const JITTER: f32 = 0.2;

pub fn augment(image: &RgbImage, rng: &mut StdRng) -> RgbImage {
    let mut out = if rng.random_bool(0.5) { imageops::flip_horizontal(image) } else { image.clone() };
    out = zoom_out(&out, rng);
    jitter_colour(&mut out, rng);
    out
}

/// Shrinks the image and places it at a random offset on a canvas of its own mean colour.
fn zoom_out(image: &RgbImage, rng: &mut StdRng) -> RgbImage {
    let scale = rng.random_range(MIN_SCALE..=1.0);
    let (width, height) = image.dimensions();
    let (small_width, small_height) =
        (((width as f32) * scale).round().max(1.0) as u32, ((height as f32) * scale).round().max(1.0) as u32);
    if (small_width, small_height) == (width, height) {
        return image.clone();
    }
    let small = imageops::resize(image, small_width, small_height, imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(width, height, mean_colour(image));
    let x = rng.random_range(0..=width - small_width);
    let y = rng.random_range(0..=height - small_height);
    imageops::replace(&mut canvas, &small, i64::from(x), i64::from(y));
    canvas
}

fn mean_colour(image: &RgbImage) -> Rgb<u8> {
    let count = u64::from(image.width()) * u64::from(image.height());
    let mut sums = [0u64; 3];
    for pixel in image.pixels() {
        for (sum, value) in sums.iter_mut().zip(pixel.0) {
            *sum += u64::from(value);
        }
    }
    Rgb(sums.map(|sum| (sum / count.max(1)) as u8))
}

fn jitter_colour(image: &mut RgbImage, rng: &mut StdRng) {
    let brightness = 1.0 + rng.random_range(-JITTER..=JITTER);
    let contrast = 1.0 + rng.random_range(-JITTER..=JITTER);
    let saturation = 1.0 + rng.random_range(-JITTER..=JITTER);
    let mean = mean_colour(image).0.iter().map(|&v| f32::from(v)).sum::<f32>() / 3.0;
    for pixel in image.pixels_mut() {
        let [r, g, b] = pixel.0.map(f32::from);
        let grey = 0.299 * r + 0.587 * g + 0.114 * b;
        pixel.0 = [r, g, b].map(|value| {
            let saturated = grey + (value - grey) * saturation;
            let contrasted = mean + (saturated - mean) * contrast;
            (contrasted * brightness).clamp(0.0, 255.0) as u8
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn keeps_size_and_is_reproducible() {
        let image = RgbImage::from_fn(40, 30, |x, y| Rgb([x as u8 * 5, y as u8 * 7, 90]));
        let first = augment(&image, &mut StdRng::seed_from_u64(7));
        let again = augment(&image, &mut StdRng::seed_from_u64(7));
        assert_eq!(first.dimensions(), (40, 30));
        assert_eq!(first, again);
    }

    #[test]
    fn a_corner_mark_stays_in_frame() {
        // A red mark in the bottom-right corner survives every augmentation: nothing is cropped.
        let mut image = RgbImage::from_pixel(50, 50, Rgb([255, 255, 255]));
        for y in 44..50 {
            for x in 44..50 {
                image.put_pixel(x, y, Rgb([255, 0, 0]));
            }
        }
        for seed in 0..50 {
            let out = augment(&image, &mut StdRng::seed_from_u64(seed));
            let reddish = out.pixels().filter(|p| p[0] > 150 && p[1] < 100 && p[2] < 100).count();
            assert!(reddish >= 16, "seed {seed}: the mark shrank to {reddish} pixels");
        }
    }
}
