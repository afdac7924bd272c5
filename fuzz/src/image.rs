//! Any file as an image to classify: the decode budgets, every format, the resize.

use effilens::Normalization;
use effilens::preprocess::Preprocessor;

use crate::Outcome;

/// Small, so that libFuzzer runs many inputs a second; JPEGs from 256 px up take the reduced path.
const SIZE: usize = 64;

pub fn image(data: &[u8]) -> Outcome {
    let input = Preprocessor::new(SIZE, Normalization::Imagenet).prepare(data).map_err(|error| error.to_string())?;
    assert_eq!(input.len(), 3 * SIZE * SIZE, "the model input has the model's shape");
    assert!(input.iter().all(|value| value.is_finite()), "the model input is finite");
    Ok(())
}
