//! The activations as the fused kernels' last step, on values still in cache.

use std::mem::MaybeUninit;

use crate::parallel::for_each_chunk;
use crate::model::Activation;

/// Elements per task of [`apply_in_parallel`]: enough that a task outweighs its scheduling.
pub(super) const CHUNK: usize = 16 * 1024;

/// `activation` on every value, in place.
#[inline(always)]
pub fn apply(activation: Activation, values: &mut [f32]) {
    match activation {
        Activation::Relu6 => values.iter_mut().for_each(|value| *value = relu6(*value)),
        Activation::Swish => values.iter_mut().for_each(|value| *value = swish(*value)),
    }
}

/// `into[i] = activation(values[i])`, or a copy without an activation: one vectorised pass,
/// where a copy and then [`apply`] would be two calls per row, and rows can be 7 values long.
#[inline(always)]
pub fn apply_into(activation: Option<Activation>, values: &[f32], into: &mut [MaybeUninit<f32>]) {
    let pairs = into.iter_mut().zip(values);
    match activation {
        Some(Activation::Relu6) => pairs.for_each(|(into, &value)| {
            into.write(relu6(value));
        }),
        Some(Activation::Swish) => pairs.for_each(|(into, &value)| {
            into.write(swish(value));
        }),
        None => {
            into.write_copy_of_slice(values);
        }
    }
}

// Both branch-free forms let the compiler vectorise their loops, and both keep a NaN a NaN, as
// burn's `relu6` and `silu` do.

/// Not `clamp`: the branch form keeps NaN as NaN and compiles to a min/max pair.
#[allow(clippy::manual_clamp)]
#[inline(always)]
fn relu6(x: f32) -> f32 {
    if x < 0.0 { 0.0 } else if x > 6.0 { 6.0 } else { x }
}

/// x · sigmoid(x) = x / (1 + e^-x); at x → -∞ it is x / ∞ = -0, as it should be.
#[inline(always)]
fn swish(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
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
