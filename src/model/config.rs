//! EfficientNet and EfficientNet-Lite as configurations: compound-scaling coefficients and the
//! base block table are data, and every variant is the same network built from them.
//!
//! The numbers and rounding rules follow lukemelas' `efficientnet_pytorch` (and its
//! `efficientnet_lite_pytorch` fork), because its checkpoints are what we import.

use core::fmt;
use core::str::FromStr;

use burn::config::Config;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::EfficientNet;
use crate::activation::Activation;

/// One stage of MBConv blocks before compound scaling, as lukemelas' block strings
/// (`r1_k3_s11_e1_i32_o16_se0.25`) describe it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageConfig {
    /// How many blocks the stage has (before depth scaling).
    pub repeats: usize,
    pub kernel_size: usize,
    /// Stride of the stage's first block; the rest use 1.
    pub stride: usize,
    /// Width of the inverted bottleneck relative to the block's input.
    pub expand_ratio: usize,
    pub input_filters: usize,
    pub output_filters: usize,
    /// Squeeze-and-excitation ratio, relative to the block's input channels; `None` for no SE.
    pub se_ratio: Option<f64>,
}

impl StageConfig {
    const fn new(
        repeats: usize,
        kernel_size: usize,
        stride: usize,
        expand_ratio: usize,
        input_filters: usize,
        output_filters: usize,
        se_ratio: Option<f64>,
    ) -> Self {
        Self { repeats, kernel_size, stride, expand_ratio, input_filters, output_filters, se_ratio }
    }
}

/// The EfficientNet-B0 stages (Tan & Le 2019, table 1); B1–B7 scale these.
pub const EFFICIENTNET_STAGES: [StageConfig; 7] = [
    StageConfig::new(1, 3, 1, 1, 32, 16, Some(0.25)),
    StageConfig::new(2, 3, 2, 6, 16, 24, Some(0.25)),
    StageConfig::new(2, 5, 2, 6, 24, 40, Some(0.25)),
    StageConfig::new(3, 3, 2, 6, 40, 80, Some(0.25)),
    StageConfig::new(3, 5, 1, 6, 80, 112, Some(0.25)),
    StageConfig::new(4, 5, 2, 6, 112, 192, Some(0.25)),
    StageConfig::new(1, 3, 1, 6, 192, 320, Some(0.25)),
];

/// The EfficientNet-Lite stages: B0's without squeeze-and-excitation, which many mobile
/// accelerators handle poorly.
pub const EFFICIENTNET_LITE_STAGES: [StageConfig; 7] = [
    StageConfig::new(1, 3, 1, 1, 32, 16, None),
    StageConfig::new(2, 3, 2, 6, 16, 24, None),
    StageConfig::new(2, 5, 2, 6, 24, 40, None),
    StageConfig::new(3, 3, 2, 6, 40, 80, None),
    StageConfig::new(3, 5, 1, 6, 80, 112, None),
    StageConfig::new(4, 5, 2, 6, 112, 192, None),
    StageConfig::new(1, 3, 1, 6, 192, 320, None),
];

impl FromStr for StageConfig {
    type Err = String;

    /// Parses a lukemelas block string such as `r2_k5_s22_e6_i24_o40_se0.25`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| format!("invalid block string '{text}': {why}");
        let (mut repeats, mut kernel, mut stride, mut expand, mut input, mut output) =
            (None, None, None, None, None, None);
        let mut se_ratio = None;
        for part in text.split('_') {
            let number = |prefix: &str| -> Result<usize, String> {
                part[prefix.len()..].parse().map_err(|_| invalid(&format!("bad '{part}'")))
            };
            if let Some(value) = part.strip_prefix("se") {
                se_ratio = Some(value.parse::<f64>().map_err(|_| invalid("bad se ratio"))?);
            } else if part.starts_with('r') {
                repeats = Some(number("r")?);
            } else if part.starts_with('k') {
                kernel = Some(number("k")?);
            } else if let Some(digits) = part.strip_prefix('s') {
                // Strides are written per axis ("s22"); EfficientNet only uses square ones.
                let bytes = digits.as_bytes();
                if bytes.len() != 2 || bytes[0] != bytes[1] || !bytes[0].is_ascii_digit() {
                    return Err(invalid("only square strides like s11 or s22 are supported"));
                }
                stride = Some((bytes[0] - b'0') as usize);
            } else if part.starts_with('e') {
                expand = Some(number("e")?);
            } else if part.starts_with('i') {
                input = Some(number("i")?);
            } else if part.starts_with('o') {
                output = Some(number("o")?);
            } else if part != "noskip" {
                return Err(invalid(&format!("unknown field '{part}'")));
            }
        }
        let missing = |name: &str| invalid(&format!("missing {name}"));
        Ok(Self {
            repeats: repeats.ok_or_else(|| missing("r"))?,
            kernel_size: kernel.ok_or_else(|| missing("k"))?,
            stride: stride.ok_or_else(|| missing("s"))?,
            expand_ratio: expand.ok_or_else(|| missing("e"))?,
            input_filters: input.ok_or_else(|| missing("i"))?,
            output_filters: output.ok_or_else(|| missing("o"))?,
            se_ratio: se_ratio.filter(|ratio| *ratio > 0.0 && *ratio <= 1.0),
        })
    }
}

/// A named member of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Arch {
    #[serde(rename = "efficientnet-b0")]
    B0,
    #[serde(rename = "efficientnet-b1")]
    B1,
    #[serde(rename = "efficientnet-b2")]
    B2,
    #[serde(rename = "efficientnet-b3")]
    B3,
    #[serde(rename = "efficientnet-b4")]
    B4,
    #[serde(rename = "efficientnet-b5")]
    B5,
    #[serde(rename = "efficientnet-b6")]
    B6,
    #[serde(rename = "efficientnet-b7")]
    B7,
    #[serde(rename = "efficientnet-lite0")]
    Lite0,
    #[serde(rename = "efficientnet-lite1")]
    Lite1,
    #[serde(rename = "efficientnet-lite2")]
    Lite2,
    #[serde(rename = "efficientnet-lite3")]
    Lite3,
    #[serde(rename = "efficientnet-lite4")]
    Lite4,
}

/// Compound-scaling coefficients of one variant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scaling {
    pub width: f64,
    pub depth: f64,
    pub resolution: usize,
    pub dropout: f64,
}

const fn scaling(width: f64, depth: f64, resolution: usize, dropout: f64) -> Scaling {
    Scaling { width, depth, resolution, dropout }
}

/// Every variant with its name and coefficients (lukemelas `efficientnet_params`, and the Lite
/// builder's table for lite0–4).
const ARCHS: [(Arch, &str, Scaling); 13] = [
    (Arch::B0, "efficientnet-b0", scaling(1.0, 1.0, 224, 0.2)),
    (Arch::B1, "efficientnet-b1", scaling(1.0, 1.1, 240, 0.2)),
    (Arch::B2, "efficientnet-b2", scaling(1.1, 1.2, 260, 0.3)),
    (Arch::B3, "efficientnet-b3", scaling(1.2, 1.4, 300, 0.3)),
    (Arch::B4, "efficientnet-b4", scaling(1.4, 1.8, 380, 0.4)),
    (Arch::B5, "efficientnet-b5", scaling(1.6, 2.2, 456, 0.4)),
    (Arch::B6, "efficientnet-b6", scaling(1.8, 2.6, 528, 0.5)),
    (Arch::B7, "efficientnet-b7", scaling(2.0, 3.1, 600, 0.5)),
    (Arch::Lite0, "efficientnet-lite0", scaling(1.0, 1.0, 224, 0.2)),
    (Arch::Lite1, "efficientnet-lite1", scaling(1.0, 1.1, 240, 0.2)),
    (Arch::Lite2, "efficientnet-lite2", scaling(1.1, 1.2, 260, 0.3)),
    (Arch::Lite3, "efficientnet-lite3", scaling(1.2, 1.4, 280, 0.3)),
    (Arch::Lite4, "efficientnet-lite4", scaling(1.4, 1.8, 300, 0.3)),
];

impl Arch {
    /// All variants, in table order.
    pub fn all() -> impl Iterator<Item = Arch> {
        ARCHS.iter().map(|(arch, _, _)| *arch)
    }

    fn entry(self) -> &'static (Arch, &'static str, Scaling) {
        ARCHS.iter().find(|(arch, _, _)| *arch == self).expect("every arch is in the table")
    }

    /// The lukemelas model name, e.g. `efficientnet-lite0`.
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    pub fn scaling(self) -> Scaling {
        self.entry().2
    }

    pub fn is_lite(self) -> bool {
        matches!(self, Arch::Lite0 | Arch::Lite1 | Arch::Lite2 | Arch::Lite3 | Arch::Lite4)
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Arch {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ARCHS.iter().find(|(_, known, _)| *known == name).map(|(arch, _, _)| *arch).ok_or_else(|| {
            let known: Vec<&str> = ARCHS.iter().map(|(_, name, _)| *name).collect();
            format!("unknown architecture '{name}' (known: {})", known.join(", "))
        })
    }
}

/// Everything that determines an EfficientNet's structure.
#[derive(Config, Debug)]
pub struct EfficientNetConfig {
    /// The stages before compound scaling.
    pub stages: Vec<StageConfig>,
    pub width_coefficient: f64,
    pub depth_coefficient: f64,
    /// The resolution the network was scaled for; inputs of other sizes work too.
    pub image_size: usize,
    /// Dropout before the classifier.
    pub dropout_rate: f64,
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Drop-connect probability of the last block; earlier blocks get linearly less.
    #[config(default = 0.2)]
    pub drop_connect_rate: f64,
    #[config(default = "Activation::Swish")]
    pub activation: Activation,
    /// Keep the stem (32), the head (1280) and the first and last stages' repeats unscaled,
    /// as the Lite variants do.
    #[config(default = false)]
    pub fixed_stem_head: bool,
    #[config(default = 1e-3)]
    pub batch_norm_epsilon: f64,
    /// PyTorch convention: the weight of the new batch statistic (TensorFlow's 0.99 is 1 − this).
    #[config(default = 0.01)]
    pub batch_norm_momentum: f64,
    #[config(default = 8)]
    pub depth_divisor: usize,
}

/// One MBConv block after scaling, in network order.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockConfig {
    pub input_filters: usize,
    pub output_filters: usize,
    pub kernel_size: usize,
    pub stride: usize,
    pub expand_ratio: usize,
    pub se_ratio: Option<f64>,
    pub drop_connect_prob: f64,
}

impl EfficientNetConfig {
    /// The configuration of a named variant with ImageNet's 1000 classes.
    pub fn from_arch(arch: Arch) -> Self {
        let Scaling { width, depth, resolution, dropout } = arch.scaling();
        if arch.is_lite() {
            Self::new(EFFICIENTNET_LITE_STAGES.to_vec(), width, depth, resolution, dropout)
                .with_activation(Activation::Relu6)
                .with_fixed_stem_head(true)
        } else {
            Self::new(EFFICIENTNET_STAGES.to_vec(), width, depth, resolution, dropout)
        }
    }

    /// Channels rounded to the depth divisor after width scaling (lukemelas `round_filters`).
    pub fn round_filters(&self, filters: usize) -> usize {
        let divisor = self.depth_divisor as f64;
        let scaled = filters as f64 * self.width_coefficient;
        let mut rounded = divisor.max(((scaled + divisor / 2.0) / divisor).floor() * divisor);
        // Never round down by more than 10%.
        if rounded < 0.9 * scaled {
            rounded += divisor;
        }
        rounded as usize
    }

    /// Block count after depth scaling (lukemelas `round_repeats`).
    pub fn round_repeats(&self, repeats: usize) -> usize {
        (self.depth_coefficient * repeats as f64).ceil() as usize
    }

    pub fn stem_filters(&self) -> usize {
        if self.fixed_stem_head { 32 } else { self.round_filters(32) }
    }

    pub fn head_filters(&self) -> usize {
        if self.fixed_stem_head { 1280 } else { self.round_filters(1280) }
    }

    /// The scaled blocks in network order.
    pub fn blocks(&self) -> Vec<BlockConfig> {
        let last_stage = self.stages.len().saturating_sub(1);
        let mut blocks = Vec::new();
        for (index, stage) in self.stages.iter().enumerate() {
            let fixed = self.fixed_stem_head && (index == 0 || index == last_stage);
            let repeats = if fixed { stage.repeats } else { self.round_repeats(stage.repeats) };
            // With a fixed stem the first stage reads its 32 unscaled channels.
            let input = if self.fixed_stem_head && index == 0 {
                self.stem_filters()
            } else {
                self.round_filters(stage.input_filters)
            };
            let output = self.round_filters(stage.output_filters);
            for repeat in 0..repeats {
                blocks.push(BlockConfig {
                    input_filters: if repeat == 0 { input } else { output },
                    output_filters: output,
                    kernel_size: stage.kernel_size,
                    stride: if repeat == 0 { stage.stride } else { 1 },
                    expand_ratio: stage.expand_ratio,
                    se_ratio: stage.se_ratio,
                    drop_connect_prob: 0.0,
                });
            }
        }
        let count = blocks.len() as f64;
        for (index, block) in blocks.iter_mut().enumerate() {
            block.drop_connect_prob = self.drop_connect_rate * index as f64 / count;
        }
        blocks
    }

    /// Builds the network with freshly initialised weights.
    pub fn init(&self, device: &Device) -> EfficientNet {
        EfficientNet::new(self, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_block_strings() {
        let stage: StageConfig = "r2_k5_s22_e6_i24_o40_se0.25".parse().unwrap();
        assert_eq!(stage, EFFICIENTNET_STAGES[2]);
        let lite: StageConfig = "r1_k3_s11_e1_i32_o16".parse().unwrap();
        assert_eq!(lite, EFFICIENTNET_LITE_STAGES[0]);
        assert!("r1_k3_s12_e1_i32_o16".parse::<StageConfig>().is_err());
        assert!("r1_k3_s11_e1_i32".parse::<StageConfig>().unwrap_err().contains("missing o"));
    }

    #[test]
    fn b0_has_sixteen_blocks_and_lukemelas_widths() {
        let config = EfficientNetConfig::from_arch(Arch::B0);
        let blocks = config.blocks();
        assert_eq!(blocks.len(), 16);
        assert_eq!((config.stem_filters(), config.head_filters()), (32, 1280));
        assert_eq!(blocks.last().unwrap().output_filters, 320);
    }

    #[test]
    fn b7_scales_width_and_depth_like_lukemelas() {
        let config = EfficientNetConfig::from_arch(Arch::B7);
        let blocks = config.blocks();
        // lukemelas' B7: stem 64, head 2560, 55 blocks ending at 640 channels.
        assert_eq!((config.stem_filters(), config.head_filters()), (64, 2560));
        assert_eq!(blocks.len(), 55);
        assert_eq!(blocks.last().unwrap().output_filters, 640);
    }

    #[test]
    fn lite_keeps_stem_head_and_outer_stage_repeats() {
        let config = EfficientNetConfig::from_arch(Arch::Lite4);
        let blocks = config.blocks();
        assert_eq!((config.stem_filters(), config.head_filters()), (32, 1280));
        assert_eq!(blocks[0].input_filters, 32);
        // Stage repeats: 1 | ceil(1.8*[2,2,3,3,4]) = 4,4,6,6,8 | 1.
        assert_eq!(blocks.len(), 1 + 4 + 4 + 6 + 6 + 8 + 1);
        assert!(blocks.iter().all(|block| block.se_ratio.is_none()));
    }

    #[test]
    fn arch_names_round_trip() {
        for arch in Arch::all() {
            assert_eq!(arch.name().parse::<Arch>().unwrap(), arch);
        }
        assert!("efficientnet-b9".parse::<Arch>().unwrap_err().contains("known:"));
    }
}
