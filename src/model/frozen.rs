//! Whether part of the network takes part in training, for the work a frozen part can skip.

use burn::module::{Flag, Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

/// Frozen (`Module::freeze`): no parameter learns and no training behaviour is on (a batch norm
/// normalises with its running statistics and leaves them alone, dropout and drop-connect pass
/// everything), so the module computes exactly what it computes at inference.
pub fn is_frozen(module: &impl Module) -> bool {
    let mut visitor = FindsTraining::default();
    module.visit(&mut visitor);
    !visitor.found
}

#[derive(Default)]
struct FindsTraining {
    found: bool,
}

impl ModuleVisitor for FindsTraining {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.found |= param.is_require_grad();
    }

    fn visit_flag(&mut self, flag: &Param<Flag>) {
        self.found |= flag.is_enabled();
    }
}

/// Whether `input` is on a training device (autodiff, without gradient checkpointing) but is no
/// part of a graph: no gradient can reach it, so what frozen modules compute from it needs none.
#[cfg(not(target_arch = "wasm32"))]
pub fn carries_no_graph<const D: usize>(input: &Tensor<D>) -> bool {
    use burn::backend::GradientCheckpointingStrategy;
    input.gradient_checkpointing_strategy() == Some(GradientCheckpointingStrategy::Disabled) && !input.is_tracked()
}

/// The browser does not train: nothing there is on a training device.
#[cfg(target_arch = "wasm32")]
pub fn carries_no_graph<const D: usize>(_input: &Tensor<D>) -> bool {
    false
}
