//! Data-parallel training on several devices (`trainer train --device wgpu:0,wgpu:1`), with
//! burn-train's multi-device step.
//!
//! Every optimisation step splits the batch into one contiguous shard per device. burn-train's
//! [`MultiDevicesTrainStep`] forks the model onto each device and runs forward and backward there,
//! one worker thread per device, all at once. The shards' gradients are then moved to the first
//! device and summed, and the optimizer updates the single copy of the model there, as burn-train's
//! own multi-device strategy (`MultiDeviceOptim::OptimMainDevice`) does. Each shard's loss is
//! scaled by its share of the batch, so the summed gradient is the batch mean: `--batch-size`,
//! the learning rate and the schedule mean what they mean on one device. Batch norm normalises each
//! shard by its own statistics (no synchronised batch norm).
//!
//! Why the step and not burn-train's `Learner` with `ExecutionStrategy::multi`: that gives every
//! device a whole batch of its own (N × `--batch-size` per step, N times fewer steps), splits the
//! data set into fixed per-device slices, and checkpoints and resumes per epoch only, whereas this
//! trainer resumes mid-epoch and exactly. burn's DDP strategy (`ExecutionStrategy::ddp`) reduces
//! gradients with collective operations, which burn 0.22 implements for CUDA (NCCL) alone, on one
//! machine; see the README.

use std::sync::{Arc, Condvar, Mutex};

use anyhow::{Result, anyhow};
use burn::data::dataloader::{DataLoaderIterator, Progress};
use burn::data::dataset::DatasetError;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLoss;
use burn::optim::{GradientsAccumulator, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};
use burn::train::train::MultiDevicesTrainStep;
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};
use effilens::EfficientNet;

/// One device's part of a batch.
pub struct Shard {
    /// `[shard, 3, size, size]`, on the shard's device.
    pub inputs: Tensor<4>,
    /// `[shard]`, on the shard's device.
    pub targets: Tensor<1, Int>,
    /// The shard's share of the batch (its images over the batch's).
    pub share: f32,
    /// Where devices share one random generator: this shard's place in the step's turns.
    pub turn: Option<Turn>,
}

/// The forward passes of a step, one device after the other in device order.
///
/// The CPU named twice (`--device flex,flex`) is one device with one random generator, and the
/// workers' threads would draw their dropout and drop-connect masks from it in whichever order
/// they got there: no two runs alike. Taking turns for the forward pass, where every random number
/// is drawn, makes such a run reproducible; the backward passes still run side by side. Distinct
/// devices each have their own generator (seeded per shard) and do not take turns.
pub struct Turn {
    index: usize,
    turns: Arc<(Mutex<usize>, Condvar)>,
}

impl Turn {
    /// Runs `forward` once the shards before this one have run theirs; the next shard's turn
    /// comes when it returns or panics.
    fn take<T>(&self, forward: impl FnOnce() -> T) -> T {
        struct Pass<'a>(&'a (Mutex<usize>, Condvar));
        impl Drop for Pass<'_> {
            fn drop(&mut self) {
                let (next, changed) = self.0;
                *next.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
                changed.notify_all();
            }
        }
        let (next, changed) = &*self.turns;
        let guard = next.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        drop(changed.wait_while(guard, |next| *next != self.index).unwrap_or_else(|poisoned| poisoned.into_inner()));
        let _pass = Pass(&self.turns);
        forward()
    }
}

/// What a worker runs: the network and its loss, forked onto the worker's device together. A type
/// of this crate, so that it can implement burn-train's step traits.
#[derive(Module, Debug)]
struct Replica {
    network: EfficientNet,
    loss: CrossEntropyLoss,
}

impl TrainStep for Replica {
    type Input = Shard;
    type Output = ClassificationOutput;

    fn step(&self, shard: Shard) -> TrainOutput<ClassificationOutput> {
        let logits = match &shard.turn {
            Some(turn) => turn.take(|| self.network.forward(shard.inputs)),
            None => self.network.forward(shard.inputs),
        };
        let loss = self.loss.forward(logits.clone(), shard.targets.clone());
        let gradients = loss.clone().mul_scalar(shard.share).backward();
        TrainOutput::new(self, gradients, ClassificationOutput::new(loss, logits, shard.targets))
    }
}

// burn-train asks every model it steps to be able to infer as well.
impl InferenceStep for Replica {
    type Input = Shard;
    type Output = ClassificationOutput;

    fn step(&self, shard: Shard) -> ClassificationOutput {
        let logits = self.network.forward(shard.inputs);
        ClassificationOutput::new(self.loss.forward(logits.clone(), shard.targets.clone()), logits, shard.targets)
    }
}

/// Hands a worker its one shard of the step (burn-train's workers pull from data loaders).
struct OneShard(Option<Shard>);

impl Iterator for OneShard {
    type Item = Result<Shard, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.take().map(Ok)
    }
}

impl DataLoaderIterator<Shard> for OneShard {
    fn progress(&self) -> Progress {
        Progress::new(0, 0, None)
    }
}

/// The workers of a run, one per device; the first device holds the model and the optimizer.
pub struct DataParallel {
    devices: Vec<Device>,
    workers: MultiDevicesTrainStep<Replica>,
}

impl DataParallel {
    pub fn new(devices: Vec<Device>) -> Self {
        let workers = MultiDevicesTrainStep::new(&devices);
        Self { devices, workers }
    }

    /// The contiguous part of `members` that device `index` trains on; devices past the end of a
    /// short last batch get none.
    pub fn shard_of<'a>(&self, members: &'a [usize], index: usize) -> &'a [usize] {
        let size = members.len().div_ceil(self.devices.len());
        members.get(index * size..(index * size + size).min(members.len())).unwrap_or(&[])
    }

    /// A batch's shards, one per device in device order, `None` where a device gets no images.
    /// `tensors` makes device `index`'s inputs and targets from its members, on that device
    /// (seeding the device first if the step draws random numbers there); it runs device after
    /// device, in order.
    pub fn shards(
        &self,
        members: &[usize],
        mut tensors: impl FnMut(usize, &[usize], &Device) -> (Tensor<4>, Tensor<1, Int>),
    ) -> Vec<Option<Shard>> {
        let shares_a_generator = self.devices.iter().enumerate().any(|(index, device)| self.devices[..index].contains(device));
        let turns = Arc::new((Mutex::new(0), Condvar::new()));
        self.devices
            .iter()
            .enumerate()
            .map(|(index, device)| {
                let shard = self.shard_of(members, index);
                if shard.is_empty() {
                    return None;
                }
                let (inputs, targets) = tensors(index, shard, device);
                let turn = shares_a_generator.then(|| Turn { index, turns: turns.clone() });
                Some(Shard { inputs, targets, share: shard.len() as f32 / members.len() as f32, turn })
            })
            .collect()
    }

    /// One optimisation step over `shards` (one per device, in device order, `None` where a device
    /// has nothing this step). Returns the updated model and the batch's mean loss.
    pub fn step(
        &self,
        model: EfficientNet,
        optimizer: &mut ModuleOptimizer,
        loss: &CrossEntropyLoss,
        shards: Vec<Option<Shard>>,
        learning_rate: f64,
    ) -> Result<(EfficientNet, f64)> {
        let mut loaders: Vec<Box<dyn DataLoaderIterator<Shard>>> =
            shards.into_iter().map(|shard| Box::new(OneShard(shard)) as Box<dyn DataLoaderIterator<Shard>>).collect();
        let replica = Replica { network: model.clone(), loss: loss.clone() };
        let (outputs, _) = self.workers.step(&mut loaders, &replica).map_err(|error| anyhow!("{error}"))?;
        let main = &self.devices[0];
        let mut gradients = GradientsAccumulator::<EfficientNet>::new();
        let mut images = 0;
        let mut loss_sum = 0.0;
        for output in outputs {
            let shard_images = output.output.item.targets.dims()[0];
            images += shard_images;
            loss_sum += f64::from(output.output.item.loss.into_scalar::<f32>()) * shard_images as f64;
            gradients.accumulate(&model, output.output.grads.to_device(main, &model));
        }
        Ok((optimizer.step(learning_rate, model, gradients.grads()), loss_sum / images.max(1) as f64))
    }
}

#[cfg(test)]
mod tests {
    use burn::optim::GradientsParams;
    use burn::tensor::{Distribution, Tolerance};
    use effilens::{Arch, EfficientNetConfig};

    use super::*;
    use crate::train::{class_tensor, sgd, training_loss};

    #[test]
    fn shards_are_contiguous_and_cover_the_batch() {
        let parallel = DataParallel::new(vec![Device::flex(), Device::flex(), Device::flex()]);
        let batch = [10, 11, 12, 13, 14, 15, 16];
        let shards: Vec<&[usize]> = (0..3).map(|index| parallel.shard_of(&batch, index)).collect();
        assert_eq!(shards, [&[10, 11, 12][..], &[13, 14, 15], &[16]]);
        assert!(parallel.shard_of(&[1], 1).is_empty(), "a short last batch leaves devices idle");
    }

    #[test]
    fn each_device_gets_its_shard_and_share_in_order() {
        let parallel = DataParallel::new(vec![Device::flex(), Device::flex(), Device::flex()]);
        let tensors = |members: &[usize], device: &Device| {
            (Tensor::zeros([members.len(), 3, 2, 2], device), class_tensor(members.iter().copied(), device))
        };
        let mut calls = Vec::new();
        let shards = parallel.shards(&[10, 11, 12, 13, 14, 15, 16], |index, members, device| {
            calls.push((index, members.to_vec()));
            tensors(members, device)
        });
        assert_eq!(calls, [(0, vec![10, 11, 12]), (1, vec![13, 14, 15]), (2, vec![16])]);
        let shares: Vec<f32> = shards.iter().map(|shard| shard.as_ref().unwrap().share).collect();
        assert_eq!(shares, [3.0 / 7.0, 3.0 / 7.0, 1.0 / 7.0]);
        assert_eq!(shards[2].as_ref().unwrap().targets.dims(), [1]);

        let short = parallel.shards(&[1], |_, members, device| tensors(members, device));
        assert_eq!(short.iter().map(Option::is_some).collect::<Vec<_>>(), [true, false, false]);
        assert_eq!(short[0].as_ref().unwrap().share, 1.0);
    }

    /// Two workers' step equals one device's step on the same two shards, each weighted by its
    /// share: the gradients reach the optimizer summed, as the batch mean.
    #[test]
    fn a_data_parallel_step_is_the_step_on_the_weighted_shards() {
        let device = Device::flex().autodiff();
        device.seed(3);
        let mut config = EfficientNetConfig::from_arch(Arch::Lite0).with_num_classes(2).with_drop_connect_rate(0.0);
        // Nothing random in the forward pass, so both runs see the same network.
        config.dropout_rate = 0.0;
        let model = config.init(&device);
        let loss = training_loss(0.1, None, &device);
        let inputs: Vec<Tensor<4>> =
            [3, 1].map(|images| Tensor::random([images, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device)).into();
        let targets = [class_tensor([0, 1, 1].into_iter(), &device), class_tensor([0].into_iter(), &device)];
        let shares = [0.75, 0.25];

        let parallel = DataParallel::new(vec![device.clone(), device.clone()]);
        let shards = (0..2)
            .map(|index| Some(Shard { inputs: inputs[index].clone(), targets: targets[index].clone(), share: shares[index], turn: None }))
            .collect();
        let (stepped, batch_loss) = parallel.step(model.clone(), &mut sgd(0.9, 1e-4), &loss, shards, 0.1).unwrap();

        let shard_losses: Vec<Tensor<1>> =
            (0..2).map(|index| loss.forward(model.forward(inputs[index].clone()), targets[index].clone())).collect();
        let expected_loss = shard_losses[0].clone().mul_scalar(shares[0]).add(shard_losses[1].clone().mul_scalar(shares[1]));
        let expected_value = f64::from(expected_loss.clone().into_scalar::<f32>());
        let gradients = GradientsParams::from_grads(expected_loss.backward(), &model);
        let expected = sgd(0.9, 1e-4).step(0.1, model, gradients);

        assert!((batch_loss - expected_value).abs() < 1e-5, "{batch_loss} vs {expected_value}");
        let probe = Tensor::random([2, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
        stepped
            .forward(probe.clone())
            .into_data()
            .assert_approx_eq::<f32>(&expected.forward(probe).into_data(), Tolerance::absolute(1e-4));
    }
}
