//! Pooled features of labeled images: what a head trains on when the backbone stays frozen. The
//! images themselves are not kept (1280 floats an image for Lite0, against 150 KB of pixels).

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::step::class_tensor;

#[derive(Clone, Debug, Default)]
pub struct Features {
    /// Floats per image (the backbone's head width).
    pub width: usize,
    /// Row-major, one row per image.
    pub rows: Vec<f32>,
    pub classes: Vec<usize>,
}

impl Features {
    pub fn new(width: usize) -> Self {
        Self { width, rows: Vec::new(), classes: Vec::new() }
    }

    pub fn push(&mut self, row: &[f32], class: usize) {
        assert_eq!(row.len(), self.width, "a feature row of another width");
        self.rows.extend_from_slice(row);
        self.classes.push(class);
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The rows of `members` and their classes, on `device`.
    ///
    /// # Shapes
    /// - features: `[members.len(), width]`
    /// - classes: `[members.len()]`
    pub fn batch(&self, members: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let mut rows = Vec::with_capacity(members.len() * self.width);
        for &member in members {
            rows.extend_from_slice(&self.rows[member * self.width..(member + 1) * self.width]);
        }
        let features = Tensor::from_data(TensorData::new(rows, [members.len(), self.width]), device);
        (features, class_tensor(members.iter().map(|&member| self.classes[member]), device))
    }
}
