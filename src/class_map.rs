//! Class activation maps: where in the image the network saw a class. EfficientNet ends in global
//! average pooling and one linear layer, so a class's score is the mean over the final feature
//! map's cells of that class's weighted sum of channels; the map of those sums (Zhou et al., 2016)
//! shows which cells raised it. No gradients: one forward pass to the feature map.
//!
//! The trainer (`predict --cam`) and the page draw the same overlay from this code.

use image::{Rgb, RgbImage, RgbaImage};

use crate::preprocess::resize_rgb;

/// The longest side of an overlay: enough to see where, small enough to hand to a page at once.
pub const OVERLAY_SIDE: u32 = 512;

/// How strongly the map's colour covers the image where the map is highest.
const OPACITY: f32 = 0.6;

/// One class's map over the final feature map's cells.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassMap {
    pub class: usize,
    /// Cells across and down (7 × 7 for a 224² input).
    pub width: usize,
    pub height: usize,
    /// Row-major: the class's weighted channel sum in each cell (its logit's share there).
    pub values: Vec<f32>,
}

impl ClassMap {
    /// The map of `class` from a feature map (`channels × height × width`, row-major) and the
    /// classifier's weights (`channels × classes`, burn's `Linear` layout).
    pub fn from_features(feature_map: &[f32], channels: usize, height: usize, width: usize, weights: &[f32], classes: usize, class: usize) -> Self {
        let cells = height * width;
        let mut values = vec![0.0f32; cells];
        for channel in 0..channels {
            let weight = weights[channel * classes + class];
            let plane = &feature_map[channel * cells..(channel + 1) * cells];
            for (value, &feature) in values.iter_mut().zip(plane) {
                *value += weight * feature;
            }
        }
        Self { class, width, height, values }
    }

    /// The values scaled to [0, 1] over the map: 1 where the class was seen most. A flat map is
    /// all zeros (nowhere more than elsewhere).
    pub fn normalized(&self) -> Vec<f32> {
        let low = self.values.iter().copied().fold(f32::INFINITY, f32::min);
        let high = self.values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let span = high - low;
        self.values.iter().map(|value| if span > 0.0 { (value - low) / span } else { 0.0 }).collect()
    }

    /// The centre of the highest cell, as fractions of the image's width and height.
    pub fn peak(&self) -> (f64, f64) {
        let index = self.values.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(index, _)| index);
        (((index % self.width) as f64 + 0.5) / self.width as f64, ((index / self.width) as f64 + 0.5) / self.height as f64)
    }

    /// The normalised map at a point given in fractions of the image, bilinear between the cell
    /// centres (the network squashed the whole image to a square: the map stretches back over it).
    fn at(&self, normalized: &[f32], x: f32, y: f32) -> f32 {
        let fx = (x * self.width as f32 - 0.5).clamp(0.0, (self.width - 1) as f32);
        let fy = (y * self.height as f32 - 0.5).clamp(0.0, (self.height - 1) as f32);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let cell = |x: usize, y: usize| normalized[y * self.width + x];
        let top = cell(x0, y0) * (1.0 - tx) + cell(x1, y0) * tx;
        let bottom = cell(x0, y1) * (1.0 - tx) + cell(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    }

    /// The map over `image`: the image scaled to fit [`OVERLAY_SIDE`] (never enlarged), the map
    /// coloured by [`heat`] and blended over it, more opaque where the map is higher.
    pub fn overlay(&self, image: &RgbImage) -> RgbaImage {
        let (width, height) = overlay_size(image.width(), image.height());
        let base = resize_rgb(image, width, height);
        let normalized = self.normalized();
        RgbaImage::from_fn(width, height, |x, y| {
            let value = self.at(&normalized, (x as f32 + 0.5) / width as f32, (y as f32 + 0.5) / height as f32);
            let Rgb(colour) = heat(value);
            let Rgb(pixel) = *base.get_pixel(x, y);
            let alpha = OPACITY * value.sqrt();
            let blend = |channel: usize| (f32::from(pixel[channel]) * (1.0 - alpha) + f32::from(colour[channel]) * alpha).round() as u8;
            image::Rgba([blend(0), blend(1), blend(2), 255])
        })
    }
}

/// The overlay's size for an image of `width × height`: its own, or scaled down to fit
/// [`OVERLAY_SIDE`] with its proportions.
pub fn overlay_size(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height).max(1);
    if longest <= OVERLAY_SIDE {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(OVERLAY_SIDE) / f64::from(longest);
    (((f64::from(width) * scale).round() as u32).max(1), ((f64::from(height) * scale).round() as u32).max(1))
}

/// The colour of a map value in [0, 1]: dark, through blue, cyan, green and yellow, to red (the
/// "turbo" colormap's polynomial fit, Mikhailov 2019), so that low and high read apart in colour
/// and in lightness.
pub fn heat(value: f32) -> Rgb<u8> {
    let x = value.clamp(0.0, 1.0);
    let polynomial = |c: [f32; 6]| c[0] + x * (c[1] + x * (c[2] + x * (c[3] + x * (c[4] + x * c[5]))));
    let r = polynomial([0.135_721_38, 4.615_392_6, -42.660_32, 132.131_08, -152.942_4, 59.286_38]);
    let g = polynomial([0.091_402_61, 2.194_188_4, 4.842_966_6, -14.185_033, 4.277_298_6, 2.829_566]);
    let b = polynomial([0.106_673_3, 12.641_946, -60.582_05, 110.362_77, -89.903_11, 27.348_25]);
    let byte = |channel: f32| (channel.clamp(0.0, 1.0) * 255.0).round() as u8;
    Rgb([byte(r), byte(g), byte(b)])
}

/// The legend: `width` samples of [`heat`] from low to high.
pub fn legend(width: usize) -> Vec<Rgb<u8>> {
    (0..width).map(|i| heat(i as f32 / (width.max(2) - 1) as f32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_of_a_class_is_its_weighted_channel_sum_per_cell() {
        // Two channels over 1 × 2 cells, two classes: class 1 weighs channel 0 by 2, channel 1 by -1.
        let feature_map = [1.0, 3.0, /* channel 1 */ 4.0, 0.0];
        let weights = [0.5, 2.0, /* channel 1 */ 0.5, -1.0];
        let map = ClassMap::from_features(&feature_map, 2, 1, 2, &weights, 2, 1);
        assert_eq!(map.values, vec![2.0 - 4.0, 6.0]);
        assert_eq!(map.normalized(), vec![0.0, 1.0]);
        assert_eq!(map.peak(), (0.75, 0.5));
        // Its mean plus the bias is the class's logit: the pooled features weighed by the same row.
        let mean: f32 = map.values.iter().sum::<f32>() / 2.0;
        assert_eq!(mean, 2.0 * (1.0 + 3.0) / 2.0 - (4.0 + 0.0) / 2.0);
    }

    #[test]
    fn the_overlay_keeps_the_image_proportions_and_colours_the_peak() {
        let map = ClassMap { class: 0, width: 2, height: 2, values: vec![0.0, 0.0, 0.0, 5.0] };
        let image = RgbImage::from_pixel(1000, 600, Rgb([128, 128, 128]));
        let overlay = map.overlay(&image);
        assert_eq!(overlay.dimensions(), (512, 307));
        let corner = overlay.get_pixel(0, 0);
        let peak = overlay.get_pixel(511, 306);
        assert_eq!(corner.0[..3], [128, 128, 128], "zero weight where the map is lowest");
        assert!(peak.0[0] > peak.0[2] + 50, "red where it is highest: {peak:?}");
        assert_eq!(overlay_size(300, 200), (300, 200), "never enlarged");
    }

    #[test]
    fn the_colours_run_from_blue_to_red() {
        let (low, high) = (heat(0.2), heat(0.9));
        assert!(low.0[2] > low.0[0], "{low:?}");
        assert!(high.0[0] > high.0[2], "{high:?}");
        assert_eq!(legend(3).len(), 3);
    }
}
