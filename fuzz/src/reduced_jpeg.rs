//! The reduced-size JPEG path (src/reduced_jpeg.rs) against the full decoder: where both decode a
//! file, the reduced image is the full one at 1/2, 1/4 or 1/8 of each side, rounded up.

use effilens::Normalization;
use effilens::preprocess::Preprocessor;

use crate::Outcome;

pub fn reduced_jpeg(data: &[u8]) -> Outcome {
    // For an input size of 8 every JPEG from 32 px up is reduced; for 2^20 none is.
    let reduced = Preprocessor::new(8, Normalization::Imagenet).decode(data);
    let full = Preprocessor::new(1 << 20, Normalization::Imagenet).decode(data);
    let (reduced, full) = (reduced.map_err(|error| error.to_string())?, full.map_err(|error| format!("the full decoder: {error}"))?);
    let (width, height) = full.dimensions();
    let fits = |scale: u32| reduced.dimensions() == (width.div_ceil(scale), height.div_ceil(scale));
    assert!(
        [1, 2, 4, 8].into_iter().any(fits),
        "reduced {:?} is not the full {width}×{height} at 1/2, 1/4 or 1/8",
        reduced.dimensions()
    );
    Ok(())
}
