//! The activations as the fused kernels' last step, on values still in cache.

use crate::parallel::for_each_chunk;
use crate::model::Activation;

/// Elements per task of [`apply_in_parallel`]: enough that a task outweighs its scheduling.
pub(super) const CHUNK: usize = 16 * 1024;

/// `activation` on every value, in place.
///
/// Both branch-free forms let the compiler vectorise the loop, and both keep a NaN a NaN, as
/// burn's `relu6` and `silu` do.
#[inline(always)]
pub fn apply(activation: Activation, values: &mut [f32]) {
    match activation {
        Activation::Relu6 => {
            // Not `clamp`: the branch form keeps NaN as NaN and compiles to a min/max pair.
            #[allow(clippy::manual_clamp)]
            for value in values {
                let x = *value;
                *value = if x < 0.0 { 0.0 } else if x > 6.0 { 6.0 } else { x };
            }
        }
        // x · sigmoid(x) = x / (1 + e^-x); at x → -∞ it is x / ∞ = -0, as it should be.
        Activation::Swish => {
            for value in values {
                *value /= 1.0 + (-*value).exp();
            }
        }
    }
}

/// [`apply`] on a whole tensor's values, on every core.
pub fn apply_in_parallel(activation: Activation, values: &mut [f32]) {
    for_each_chunk(values, CHUNK, 1, |_, chunk| apply(activation, chunk));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu6_clamps_and_keeps_nan() {
        let mut values = [-1.0, 0.0, 3.5, 6.0, 7.0, f32::NAN];
        apply(Activation::Relu6, &mut values);
        assert_eq!(&values[..5], &[0.0, 0.0, 3.5, 6.0, 6.0]);
        assert!(values[5].is_nan());
    }

    #[test]
    fn swish_is_x_times_sigmoid() {
        let inputs = [-100.0f32, -2.0, 0.0, 1.5, 50.0];
        let mut values = inputs;
        apply(Activation::Swish, &mut values);
        for (x, y) in inputs.iter().zip(values) {
            let expected = x * (1.0 / (1.0 + (-x).exp()));
            assert!((y - expected).abs() <= 1e-6 * expected.abs().max(1.0), "swish({x}) = {y}, want {expected}");
        }
    }
}
