//! The seeded stratified split that holds out a validation share when no validation folder is
//! given: the trainer's `--val-fraction` and the page's "validation share" choose the same images.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Which of the images (their classes, in the caller's fixed order: the byte order of their
/// paths) are held out for validation: `fraction` of each class, rounded, at least one of every
/// class with two or more images and never a class's last. One generator, seeded by `seed`, takes
/// the classes in turn.
pub fn validation_share(classes: &[usize], class_count: usize, fraction: f64, seed: u64) -> Vec<bool> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut held_out = vec![false; classes.len()];
    for class in 0..class_count {
        let mut members: Vec<usize> = (0..classes.len()).filter(|&i| classes[i] == class).collect();
        if members.len() < 2 {
            continue;
        }
        members.shuffle(&mut rng);
        let wanted = ((members.len() as f64 * fraction).round() as usize).max(1).min(members.len() - 1);
        for &member in &members[..wanted] {
            held_out[member] = true;
        }
    }
    held_out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_out_a_share_of_every_class() {
        let classes = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2];
        let held = validation_share(&classes, 3, 0.2, 1);
        let count = |class| (0..classes.len()).filter(|&i| classes[i] == class && held[i]).count();
        assert_eq!((count(0), count(1), count(2)), (1, 2, 0));
        assert_eq!(held, validation_share(&classes, 3, 0.2, 1));
        assert_ne!(held, validation_share(&classes, 3, 0.2, 2));
    }
}
