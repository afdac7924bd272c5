//! Decoding a folder's images into memory, in parallel, through effilens' one preprocessing path.

use anyhow::Result;
use effilens::Preprocessor;
use effilens_evaluation::{SkipReason, Skipped};
use image::RgbImage;
use rayon::prelude::*;

use crate::dataset::{ImageFolder, Sample};

/// Images decoded and resized to the model's input size, with their classes. Kept in memory so
/// each epoch only augments and normalises (224² RGB is 150 KB an image).
pub struct DecodedImages {
    pub images: Vec<RgbImage>,
    pub classes: Vec<usize>,
    /// Paths as reports show them, parallel to `images`.
    pub paths: Vec<String>,
}

/// Reads one sample's file; why not, in the words every report uses.
pub fn read_sample(sample: &Sample) -> Result<Vec<u8>, SkipReason> {
    std::fs::read(&sample.path).map_err(|error| SkipReason::Unreadable(error.to_string()))
}

/// Decodes every sample of `folder`; unreadable files go to `skipped` with the reason.
pub fn decode_all(folder: &ImageFolder, preprocessor: &Preprocessor, skipped: &mut Vec<Skipped>) -> DecodedImages {
    let decoded: Vec<Result<RgbImage, SkipReason>> = folder
        .samples
        .par_iter()
        .map(|sample| {
            let bytes = read_sample(sample)?;
            let image = preprocessor.decode(&bytes).map_err(|error| SkipReason::Undecodable(error.to_string()))?;
            Ok(preprocessor.resize(&image))
        })
        .collect();
    let mut result = DecodedImages { images: Vec::new(), classes: Vec::new(), paths: Vec::new() };
    for (sample, image) in folder.samples.iter().zip(decoded) {
        match image {
            Ok(image) => {
                result.images.push(image);
                result.classes.push(sample.class);
                result.paths.push(sample.display.clone());
            }
            Err(reason) => skipped.push(Skipped::new(sample.display.clone(), &reason)),
        }
    }
    result
}

/// Configures the decoding thread pool (`--workers`); 0 keeps rayon's default (one per core).
pub fn set_workers(workers: usize) -> Result<()> {
    if workers > 0 {
        rayon::ThreadPoolBuilder::new().num_threads(workers).build_global()?;
    }
    Ok(())
}
