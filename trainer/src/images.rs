//! Decoding a folder's images into memory, in parallel, through effilens' one preprocessing path.

use std::io::Read;

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

/// Reads one sample's file, at most `limit` bytes; why not, in the words every report uses.
/// The size is checked before reading, and reading stops at the limit anyway: a pipe, or a link
/// to `/dev/zero`, in a training folder must not hang or fill memory.
pub fn read_sample(sample: &Sample, limit: usize) -> Result<Vec<u8>, SkipReason> {
    let unreadable = |error: std::io::Error| SkipReason::Unreadable(error.to_string());
    let metadata = std::fs::metadata(&sample.path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(SkipReason::NotRegularFile);
    }
    let too_large = |bytes: u64| SkipReason::TooLarge { bytes, limit: limit as u64 };
    if metadata.len() > limit as u64 {
        return Err(too_large(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(&sample.path).and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes)).map_err(unreadable)?;
    if bytes.len() > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Decodes every sample of `folder`; unreadable files go to `skipped` with the reason.
pub fn decode_all(folder: &ImageFolder, preprocessor: &Preprocessor, skipped: &mut Vec<Skipped>) -> DecodedImages {
    let decoded: Vec<Result<RgbImage, SkipReason>> = folder
        .samples
        .par_iter()
        .map(|sample| {
            let bytes = read_sample(sample, preprocessor.limits.max_bytes)?;
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
