use burn::module::{Flag, Module, Param};
use burn::tensor::{Distribution, Tensor};

/// Drop-connect (stochastic depth): during training, drops a block's residual branch for
/// whole samples and rescales the survivors, as lukemelas' `drop_connect` does.
#[derive(Module, Debug)]
pub struct DropConnect {
    pub prob: f64,
    /// Cleared by `freeze`, like burn's `Dropout`.
    pub training: Param<Flag>,
}

impl DropConnect {
    pub fn new(prob: f64) -> Self {
        Self { prob, training: Param::from_bool(true) }
    }

    /// # Shapes
    /// - input and output: `[batch, channels, height, width]`
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        // The device says a backward pass is possible; the flag says this block takes part.
        if self.prob == 0.0 || !self.training.is_enabled() || !input.device().is_autodiff() {
            return input;
        }
        let keep = 1.0 - self.prob;
        let [batch, _, _, _] = input.dims();
        let mask = Tensor::<4>::random([batch, 1, 1, 1], Distribution::Bernoulli(keep), &input.device());
        input * mask / keep
    }
}
