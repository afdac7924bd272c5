//! `--resume`: which settings a continued run takes, and which checkpoints it refuses.
//!
//! The checkpoint's settings rule, so that the continued run is the run that was started; only
//! the data's location and the run's length may change (and the machine-side options, which the
//! checkpoint does not keep).

use anyhow::{Result, bail};
use effilens::Arch;

use super::TrainArgs;
use crate::checkpoint::{CheckpointState, DataFingerprint};
use crate::settings::TrainSettings;

/// The settings of a run resumed with `args` from a checkpoint saved with `saved`.
pub fn resume_settings(args: &TrainArgs, saved: &TrainSettings) -> Result<TrainSettings> {
    if args.arch.is_some_and(|arch| Some(arch) != saved.arch) {
        bail!("incompatible --resume checkpoint: it trains {:?}, --arch says {:?}", saved.arch, args.arch);
    }
    if args.epochs < saved.epochs {
        bail!("--epochs {} is fewer than the {} the resumed run was set to", args.epochs, saved.epochs);
    }
    Ok(TrainSettings {
        train_data: args.train_data.clone(),
        val_data: args.val_data.clone(),
        epochs: args.epochs,
        ..saved.clone()
    })
}

/// Refuses a checkpoint whose network does not fit this run's data: another architecture, or
/// other classes (by name and order).
pub fn check_compatible(saved: &CheckpointState, arch: Arch, classes: &[String]) -> Result<()> {
    if saved.classes != classes || saved.arch != arch {
        bail!(
            "incompatible --resume checkpoint: it trains {} on classes {:?}, this run {} on {:?}",
            saved.arch,
            saved.classes,
            arch,
            classes
        );
    }
    Ok(())
}

/// Refuses to continue on other training images than the checkpoint's (which images, by path
/// below the folder and size), unless asked to: exact resumption replays the same draws over the
/// same images, and a changed set makes the continued run another run.
pub fn check_same_data(saved: &CheckpointState, data: &DataFingerprint, allowed: bool) -> Result<()> {
    let Some(before) = &saved.data else { return Ok(()) };
    if before != data && !allowed {
        bail!(
            "the training images changed since the checkpoint ({} then, {} now, or the same number with other files): \
             resume on the same data, or pass --allow-data-change to continue anyway",
            before.images,
            data.images
        );
    }
    Ok(())
}
