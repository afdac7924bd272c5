//! The pointing game (Zhang et al., 2016): how often a class activation map's peak falls on the
//! object, for images whose object boxes are known (the sample generator's `boxes.csv`). A hit is
//! a peak within [`TOLERANCE_PX`] of the box, the game's usual tolerance.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// How far outside its box (in the image's pixels) a peak still counts as a hit.
pub const TOLERANCE_PX: f64 = 15.0;

/// Hits out of the images played, and their share.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PointingGame {
    pub hits: u64,
    pub images: u64,
    /// `hits / images`; `None` before any image.
    pub score: Option<f64>,
}

impl PointingGame {
    pub fn add(&mut self, hit: bool) {
        self.hits += u64::from(hit);
        self.images += 1;
        self.score = Some(self.hits as f64 / self.images as f64);
    }

    /// Two shares of one evaluation together.
    pub fn merged(self, other: PointingGame) -> PointingGame {
        let (hits, images) = (self.hits + other.hits, self.images + other.images);
        PointingGame { hits, images, score: (images > 0).then(|| hits as f64 / images as f64) }
    }
}

/// An object's box in an image's pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl PixelBox {
    /// Whether a map peaking at `peak` (fractions of the image's width and height) points at
    /// this box in an image of `size` pixels.
    pub fn is_hit(&self, peak: (f64, f64), size: (u32, u32)) -> bool {
        let (x, y) = (peak.0 * f64::from(size.0), peak.1 * f64::from(size.1));
        let outside = |value: f64, low: f64, extent: f64| (low - value).max(value - (low + extent)).max(0.0);
        outside(x, self.x, self.width).hypot(outside(y, self.y, self.height)) <= TOLERANCE_PX
    }
}

/// Reads `boxes.csv`: a header `file,x,y,width,height`, then one box per line, `file` relative to
/// the CSV's folder. One box an image (the last wins).
pub fn parse_boxes(text: &str) -> Result<HashMap<String, PixelBox>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == "file,x,y,width,height" => {}
        _ => return Err("the first line must be: file,x,y,width,height".into()),
    }
    let mut boxes = HashMap::new();
    for (index, line) in lines.filter(|(_, line)| !line.trim().is_empty()) {
        let fields: Vec<&str> = line.rsplitn(5, ',').collect();
        let parsed: Option<Vec<f64>> = fields.iter().take(4).rev().map(|field| field.trim().parse().ok()).collect();
        match (fields.get(4), parsed) {
            (Some(file), Some(numbers)) if numbers.iter().all(|n| n.is_finite() && *n >= 0.0) => {
                boxes.insert((*file).to_owned(), PixelBox { x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3] });
            }
            _ => return Err(format!("line {}: expected file,x,y,width,height with four numbers of pixels", index + 1)),
        }
    }
    Ok(boxes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_on_or_near_the_box_is_a_hit() {
        let badge = PixelBox { x: 20.0, y: 300.0, width: 50.0, height: 50.0 };
        let size = (300, 400);
        assert!(badge.is_hit((0.15, 0.8), size), "inside");
        assert!(badge.is_hit((80.0 / 300.0, 0.8), size), "10 px to its right");
        assert!(!badge.is_hit((90.0 / 300.0, 0.8), size), "20 px to its right");
        assert!(!badge.is_hit((0.5, 0.1), size));
        let mut game = PointingGame::default();
        assert_eq!(game.score, None);
        game.add(true);
        game.add(false);
        assert_eq!((game.hits, game.images, game.score), (1, 2, Some(0.5)));
        assert_eq!(game.merged(PointingGame { hits: 2, images: 2, score: Some(1.0) }).score, Some(0.75));
    }

    #[test]
    fn boxes_are_read_with_commas_in_file_names() {
        let boxes = parse_boxes("file,x,y,width,height\nval/logo/a,b.jpg,1,2,30,40\n\n").unwrap();
        assert_eq!(boxes["val/logo/a,b.jpg"], PixelBox { x: 1.0, y: 2.0, width: 30.0, height: 40.0 });
        assert!(parse_boxes("path,x\n").is_err());
        assert_eq!(parse_boxes("file,x,y,width,height\nv.jpg,1,2,x,4\n").unwrap_err(), "line 2: expected file,x,y,width,height with four numbers of pixels");
    }
}
