//! Which images each optimisation step sees, at which learning rate and with which seed: a pure
//! function of the run's settings and the step's place, so that the trainer (which resumes in
//! the middle of an epoch) and the page (which trains a head on features) take the same steps.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::schedule::Schedule;

/// The steps of a run over `images` training images.
#[derive(Clone, Debug)]
pub struct StepPlan {
    pub images: usize,
    pub batch_size: usize,
    pub epochs: usize,
    pub batches_per_epoch: usize,
    warmup_steps: usize,
    total_steps: usize,
    schedule: Schedule,
    lr: f64,
    seed: u64,
}

impl StepPlan {
    /// `warmup_epochs` of linear warm-up, at most half the run.
    pub fn new(images: usize, batch_size: usize, epochs: usize, warmup_epochs: usize, schedule: Schedule, lr: f64, seed: u64) -> Self {
        let batch_size = batch_size.max(1);
        let batches_per_epoch = images.div_ceil(batch_size);
        let total_steps = batches_per_epoch * epochs;
        let warmup_steps = (batches_per_epoch * warmup_epochs).min(total_steps / 2);
        Self { images, batch_size, epochs, batches_per_epoch, warmup_steps, total_steps, schedule, lr, seed }
    }

    /// The images of `epoch` in the order its batches take them (consecutive `batch_size` runs).
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.images).collect();
        order.shuffle(&mut StdRng::seed_from_u64(derive_seed(self.seed, epoch as u64, ORDER)));
        order
    }

    pub fn learning_rate(&self, epoch: usize, batch: usize) -> f64 {
        let step = epoch * self.batches_per_epoch + batch;
        self.schedule.learning_rate(self.lr, step, self.warmup_steps, self.total_steps)
    }

    /// The seed of the device's generator for a batch (dropout, drop-connect).
    pub fn batch_seed(&self, epoch: usize, batch: usize) -> u64 {
        derive_seed(self.seed, epoch as u64, batch as u64)
    }

    /// The seed of an image's augmentation in an epoch.
    pub fn image_seed(&self, epoch: usize, image: usize) -> u64 {
        derive_seed(self.seed, epoch as u64, image as u64)
    }
}

/// The item whose seed shuffles an epoch: no batch or image has it. A `u64`, not `usize::MAX`,
/// which is another number in 32-bit wasm, where the page would then shuffle otherwise.
const ORDER: u64 = u64::MAX;

/// A seed for one (run, epoch, item) triple: splitmix64 over the three, so every random draw can
/// be recomputed on resume without replaying a stream. In `u64` everywhere: the page (wasm32)
/// and the trainer draw the same.
pub fn derive_seed(seed: u64, epoch: u64, item: u64) -> u64 {
    let mut z = seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ item.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_once_per_epoch_and_epochs_differ() {
        let plan = StepPlan::new(10, 4, 3, 1, Schedule::Cosine, 0.1, 7);
        assert_eq!(plan.batches_per_epoch, 3);
        let (first, second) = (plan.order(0), plan.order(1));
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(first, second);
        assert_eq!(first, StepPlan::new(10, 4, 3, 1, Schedule::Cosine, 0.1, 7).order(0), "seeded");
        // Warm-up: one epoch of three steps, capped at half the run's nine.
        assert!((plan.learning_rate(0, 0) - 0.1 / 3.0).abs() < 1e-12);
        assert!((plan.learning_rate(1, 0) - 0.1).abs() < 1e-12);
        // Checkpoints from 64-bit machines were shuffled with `usize::MAX`: the same seed, so
        // they resume as they began.
        assert_eq!(derive_seed(7, 0, ORDER), derive_seed(7, 0, usize::MAX as u64));
    }
}
