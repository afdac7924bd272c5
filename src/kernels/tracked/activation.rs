//! ReLU6 and swish, each direction one vectorised pass on every core.
//!
//! burn-autodiff has no `clamp` of its own, so a tracked ReLU6 was two comparisons and two
//! masked fills going forward and two more masked fills going back, each a single-threaded pass;
//! `silu` went through `flex`'s scalar `sigmoid`.

use std::mem::MaybeUninit;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::{Autodiff, Flex};
use burn::tensor::Tensor;
use burn_flex::FlexTensor;
use multiversion::multiversion;

use super::{Checkpointing, autodiff_flex_f32, contiguous};
use crate::kernels::activation::{self, CHUNK};
use crate::kernels::new_tensor;
use crate::activation::Activation;
use crate::parallel::for_each_chunk;

/// `activation(input)` for an f32 tensor on `flex` under autodiff, tracked or not. Hands any
/// other tensor back.
pub fn activate<const D: usize>(input: Tensor<D>, activation: Activation) -> Result<Tensor<D>, Tensor<D>> {
    let input = autodiff_flex_f32(input)?;
    let prepared = ActivationStep(activation).prepare::<Checkpointing>([input.node()]).compute_bound().stateful();
    let output = match prepared {
        OpsKind::Tracked(prepared) => {
            let (output, state) = forward(activation, input.into_primitive());
            prepared.finish(state, output)
        }
        OpsKind::UnTracked(prepared) => prepared.finish(forward(activation, input.into_primitive()).0),
    };
    Ok(Tensor::from_primitive::<Autodiff<Flex>>(output))
}

/// The backward step of one activation. Its state is what [`gradient`] needs: ReLU6's output,
/// swish's input.
#[derive(Debug)]
struct ActivationStep(Activation);

impl Backward<Flex, 1> for ActivationStep {
    type State = FlexTensor;

    fn backward(self, ops: Ops<FlexTensor, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        unary::<Flex, _>(ops.parents, ops.node, grads, |grad| gradient(self.0, &ops.state, grad));
    }
}

/// `activation(input)` and the state its backward step keeps. ReLU6 runs in place when the input
/// is not shared; its output, which the step keeps, is then never written again (a later
/// operation sees it shared and copies). Swish keeps its input and writes a new tensor in one
/// pass: in place it would first copy the input it keeps.
fn forward(activation: Activation, input: FlexTensor) -> (FlexTensor, FlexTensor) {
    let input = contiguous(input);
    match activation {
        Activation::Relu6 => {
            let mut output = input;
            let count = output.layout().num_elements();
            // Copies the values first when they are shared.
            activation::apply_in_parallel(activation, &mut output.storage_mut::<f32>()[..count]);
            (output.clone(), output)
        }
        Activation::Swish => {
            let kept = &input.storage::<f32>()[..input.layout().num_elements()];
            let output = new_tensor(input.layout().shape().clone(), |output| {
                for_each_chunk(output, CHUNK, 1, |index, output| activate_into(activation, &kept[index * CHUNK..][..output.len()], output));
            });
            (output, input)
        }
    }
}

/// `into[i] = activation(values[i])` ([`activation::map_into`]), compiled for each x86 width
/// (the portable x86-64 target stops at SSE2, which bounds swish's `exp`).
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn activate_into(activation: Activation, values: &[f32], into: &mut [MaybeUninit<f32>]) {
    activation::map_into(activation, values, into, |value| value);
}

/// The gradient at the activation's input, from the gradient at its output, in place
/// ([`activation::gradient_in_place`]; the state is ReLU6's output or swish's input, either of
/// which tells where ReLU6 clamped).
fn gradient(activation: Activation, state: &FlexTensor, grad: FlexTensor) -> FlexTensor {
    let state = contiguous(state.clone());
    let kept = &state.storage::<f32>()[..state.layout().num_elements()];
    let mut grad = contiguous(grad);
    assert_eq!(grad.layout().num_elements(), kept.len(), "an activation's gradient has its output's shape");
    for_each_chunk(&mut grad.storage_mut::<f32>()[..kept.len()], CHUNK, 1, |index, grad| {
        gradient_chunk(activation, &kept[index * CHUNK..][..grad.len()], grad);
    });
    grad
}

/// [`activation::gradient_in_place`] of kept values, compiled for each x86 width.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn gradient_chunk(activation: Activation, kept: &[f32], grad: &mut [f32]) {
    activation::gradient_in_place(activation, kept, grad, |kept| kept);
}

#[cfg(test)]
mod tests {
    use burn::tensor::activation::{relu6, silu};
    use burn::tensor::{Device, Distribution};

    use super::*;
    use crate::kernels::tracked::test_support::assert_close;

    /// The input's values and gradient after `loss = Σ activation(input) · weights`.
    fn values_and_gradient(activation: impl Fn(Tensor<2>) -> Tensor<2>, input: &Tensor<2>, weights: &Tensor<2>) -> (Vec<f32>, Vec<f32>) {
        let input = input.clone().require_grad();
        let output = activation(input.clone());
        let gradients = (output.clone() * weights.clone()).sum().backward();
        let gradient = input.grad(&gradients).expect("the input is tracked");
        (output.into_data().try_to_vec().unwrap(), gradient.into_data().try_to_vec().unwrap())
    }

    #[test]
    fn values_and_gradients_match_burns_operations() {
        let device = Device::flex().autodiff();
        // More values than one task takes, spread so that ReLU6 clamps at both ends.
        let input = Tensor::<2>::random([3, CHUNK], Distribution::Normal(0.0, 5.0), &device);
        let weights = Tensor::<2>::random([3, CHUNK], Distribution::Normal(0.0, 1.0), &device);
        for activation in [Activation::Relu6, Activation::Swish] {
            let ours = values_and_gradient(|x| activate(x, activation).expect("autodiff flex f32"), &input, &weights);
            let burns = match activation {
                Activation::Relu6 => values_and_gradient(relu6, &input, &weights),
                Activation::Swish => values_and_gradient(silu, &input, &weights),
            };
            assert_close(&ours.0, &burns.0, 1e-5, 1.0, &format!("{activation:?} values"));
            assert_close(&ours.1, &burns.1, 1e-5, 1.0, &format!("{activation:?} gradient"));
        }
    }

    #[test]
    fn relu6_stops_the_gradient_where_it_clamps_and_leaves_a_shared_input_alone() {
        let device = Device::flex().autodiff();
        let input = Tensor::<1>::from_floats([-1.0, 0.5, 5.5, 9.0], &device).require_grad();
        let kept = input.clone();
        // The leaf itself: its values are shared with `input` and `kept`.
        let output = activate(input.clone(), Activation::Relu6).unwrap();
        let gradients = (output.clone() * 3.0).sum().backward();
        assert_eq!(output.into_data().try_to_vec::<f32>().unwrap(), [0.0, 0.5, 5.5, 6.0]);
        assert_eq!(input.grad(&gradients).unwrap().into_data().try_to_vec::<f32>().unwrap(), [0.0, 3.0, 3.0, 0.0]);
        assert_eq!(kept.into_data().try_to_vec::<f32>().unwrap(), [-1.0, 0.5, 5.5, 9.0]);
    }

    #[test]
    fn untracked_tensors_and_other_devices() {
        let tracked_device = Device::flex().autodiff();
        let untracked = Tensor::<1>::from_floats([-2.0, 7.0], &tracked_device);
        assert_eq!(activate(untracked, Activation::Relu6).unwrap().into_data().try_to_vec::<f32>().unwrap(), [0.0, 6.0]);
        assert!(activate(Tensor::<1>::from_floats([1.0], &Device::flex()), Activation::Relu6).is_err());
    }
}
