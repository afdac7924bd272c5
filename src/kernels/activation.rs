//! The activations as the fused kernels' last step, on values still in cache.

use std::mem::MaybeUninit;

use multiversion::multiversion;

use crate::parallel::for_each_chunk;
use crate::activation::Activation;

/// Elements per task of [`apply_in_parallel`]: enough that a task outweighs its scheduling.
pub(super) const CHUNK: usize = 16 * 1024;

/// `activation` on every value, in place.
#[inline(always)]
pub fn apply(activation: Activation, values: &mut [f32]) {
    match activation {
        Activation::Relu6 => values.iter_mut().for_each(|value| *value = relu6(*value)),
        Activation::Swish => swish_in_place(values),
    }
}

/// `values[i] = activation(values[i] + bias)`, in place, or only the addition without an
/// activation: a convolution's bias and activation in one pass.
#[inline(always)]
pub fn add_then_apply(bias: f32, activation: Option<Activation>, values: &mut [f32]) {
    match activation {
        Some(Activation::Relu6) => values.iter_mut().for_each(|value| *value = relu6(*value + bias)),
        Some(Activation::Swish) => add_then_swish(bias, values),
        None => values.iter_mut().for_each(|value| *value += bias),
    }
}

/// `into[i] = activation(input(values[i]))`: the activation of values computed on the way, such
/// as a batch norm's output from its input, in one pass (training, native only).
#[inline(always)]
pub fn map_into(activation: Activation, values: &[f32], into: &mut [MaybeUninit<f32>], input: impl Fn(f32) -> f32) {
    match activation {
        Activation::Relu6 => into.iter_mut().zip(values).for_each(|(into, &value)| {
            into.write(relu6(input(value)));
        }),
        Activation::Swish => into.iter_mut().zip(values).for_each(|(into, &value)| {
            into.write(swish(input(value)));
        }),
    }
}

/// `grad[i] *= activation'(input(kept[i]))`, in place: the gradient at an activation's input
/// from the gradient at its output, where `input` recovers the activation's input from what
/// training kept (ReLU6's output, swish's input, a batch norm's input).
///
/// ReLU6 passes the gradient where its input lies strictly between 0 and 6 and stops it where
/// the output is clamped, as PyTorch's `hardtanh_backward` does: at exactly 0 or 6, where the
/// derivative is undefined, the gradient stops (burn's masked fills let it through there). Its
/// output lies strictly inside exactly where its input does, so either can be kept.
/// Swish: d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))).
#[inline(always)]
pub fn gradient_in_place(activation: Activation, kept: &[f32], grad: &mut [f32], input: impl Fn(f32) -> f32) {
    match activation {
        Activation::Relu6 => grad.iter_mut().zip(kept).for_each(|(grad, &kept)| {
            let x = input(kept);
            *grad = if x > 0.0 && x < 6.0 { *grad } else { 0.0 };
        }),
        Activation::Swish => grad.iter_mut().zip(kept).for_each(|(grad, &kept)| {
            let x = input(kept);
            let sigmoid = 1.0 / (1.0 + exp(-x));
            *grad *= sigmoid * (1.0 + x * (1.0 - sigmoid));
        }),
    }
}

// Swish's loops are functions of their own in WebAssembly: inlined into the kernels, the
// polynomial of `exp` kept V8 from optimising them for the first ~2 s after the module loaded,
// and every network, ReLU6 ones included, ran at half speed meanwhile (docs/PERFORMANCE.md, 14.).
// Natively they are inlined, and so compiled for the kernels' AVX-512 or AVX2.

#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn swish_in_place(values: &mut [f32]) {
    values.iter_mut().for_each(|value| *value = swish(*value));
}

#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline(always))]
fn add_then_swish(bias: f32, values: &mut [f32]) {
    values.iter_mut().for_each(|value| *value = swish(*value + bias));
}

// Both branch-free forms let the compiler vectorise their loops, and both keep a NaN a NaN, as
// burn's `relu6` and `silu` do.

/// Not `clamp`: the branch form keeps NaN as NaN and compiles to a min/max pair.
#[allow(clippy::manual_clamp)]
#[inline(always)]
fn relu6(x: f32) -> f32 {
    if x < 0.0 { 0.0 } else if x > 6.0 { 6.0 } else { x }
}

/// x · sigmoid(x) = x / (1 + e^-x). Below x = -88, where e^-x saturates, it is x / 1.7e38:
/// under 1e-35 from the -0 it tends to.
#[inline(always)]
fn swish(x: f32) -> f32 {
    x / (1.0 + exp(-x))
}

/// e^x within 2 ulp, in arithmetic the compiler vectorises: `f32::exp` is a call into libm for
/// each value, which took ~40 % of B0's forward pass (docs/PERFORMANCE.md, 14.).
///
/// x = n·ln 2 + r with |r| ≤ ln 2 / 2; e^r is Cephes' `expf` polynomial and 2^n is written into
/// the exponent's bits. x is first held to [-87, 88], where e^x and 2^n are normal numbers: e^x
/// saturates at 1.6e-38 and 1.7e38 instead of reaching 0 and ∞. NaN stays NaN.
#[inline(always)]
fn exp(x: f32) -> f32 {
    // ln 2 in two parts: the first has few enough bits that n · LN_2_HIGH is exact.
    const LN_2_HIGH: f32 = 0.693_359_4;
    const LN_2_LOW: f32 = -2.121_944_4e-4;
    // Adding 1.5 · 2^23 rounds to an integer, which then sits in the lowest bits of the sum.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let rounded = x * std::f32::consts::LOG2_E + ROUND;
    let n = rounded - ROUND;
    let r = x - n * LN_2_HIGH - n * LN_2_LOW;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let exp_r = p * r * r + r + 1.0;
    let n = rounded.to_bits() as i32 - ROUND.to_bits() as i32;
    exp_r * f32::from_bits(((n + 127) << 23) as u32)
}

/// [`apply`] on a whole tensor's values, on every core.
pub fn apply_in_parallel(activation: Activation, values: &mut [f32]) {
    for_each_chunk(values, CHUNK, 1, |_, chunk| apply_vectorised(activation, chunk));
}

/// [`apply`], compiled for each x86 width: the portable x86-64 target stops at SSE2, and swish's
/// `exp` is arithmetic enough to be bound by it.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn apply_vectorised(activation: Activation, values: &mut [f32]) {
    apply(activation, values);
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
    fn exp_is_within_two_ulp_where_it_is_a_normal_number() {
        let steps = 200_000;
        for step in 0..=steps {
            let x = -87.0 + 175.0 * step as f32 / steps as f32;
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            // One ulp of an f32 near `want` is at most 2^-23 of it.
            assert!((got - want).abs() <= 2.0 * want * f64::from(f32::EPSILON), "exp({x}) = {got}, want {want}");
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-1000.0), exp(-87.0), "saturates below");
        assert_eq!(exp(f32::INFINITY), exp(88.0), "saturates above");
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn swish_is_x_times_sigmoid() {
        let inputs = [-100.0f32, -2.0, -1e-3, 0.0, 1.5, 50.0, 100.0];
        let mut values = inputs;
        apply(Activation::Swish, &mut values);
        for (x, y) in inputs.iter().zip(values) {
            let expected = x * (1.0 / (1.0 + (-x).exp()));
            assert!((y - expected).abs() <= 1e-6 * expected.abs().max(1.0), "swish({x}) = {y}, want {expected}");
        }
        let mut nan = [f32::NAN];
        apply(Activation::Swish, &mut nan);
        assert!(nan[0].is_nan());
    }
}
