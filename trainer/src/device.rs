//! `--device`: where the network runs.
//!
//! `flex`, burn's pure-Rust CPU backend, is built in and the default: on the 2-core machines this
//! project is measured on it is the fastest CPU backend burn offers that builds here (burn's
//! CubeCL `cpu` backend downloads a prebuilt LLVM from GitHub at build time; `ndarray` is
//! deprecated and slower, see docs/PERFORMANCE.md — `--features ndarray` builds it in, to measure
//! it). GPU backends are cargo features, so that the default build stays quick to compile:
//! `--features wgpu` (Vulkan, Metal, DX12) and `--features cuda`. `trainer train` also takes
//! several devices at once, comma-separated, for data-parallel training (see `data_parallel.rs`).

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use burn::tensor::Device;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    #[default]
    Flex,
    /// burn's deprecated ndarray CPU backend (`--features ndarray`), kept to compare against.
    NdArray,
    /// wgpu's preferred adapter (a discrete GPU first), or the N-th discrete GPU.
    Wgpu(Option<usize>),
    /// The N-th CUDA device.
    Cuda(usize),
}

impl FromStr for DeviceChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (name, index) = match text.split_once(':') {
            Some((name, index)) => {
                let index = index.parse().map_err(|_| format!("`{index}` is not a device number"))?;
                (name, Some(index))
            }
            None => (text, None),
        };
        match (name, index) {
            ("flex", None) => Ok(Self::Flex),
            ("ndarray", None) => Ok(Self::NdArray),
            ("wgpu", index) => Ok(Self::Wgpu(index)),
            ("cuda", index) => Ok(Self::Cuda(index.unwrap_or(0))),
            _ => Err(format!("unknown device `{text}`: flex, ndarray, wgpu, wgpu:N, cuda or cuda:N")),
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flex => write!(f, "flex"),
            Self::NdArray => write!(f, "ndarray"),
            Self::Wgpu(None) => write!(f, "wgpu"),
            Self::Wgpu(Some(index)) => write!(f, "wgpu:{index}"),
            Self::Cuda(index) => write!(f, "cuda:{index}"),
        }
    }
}

impl DeviceChoice {
    /// The burn device, started and checked: a GPU that is missing is an error here, not a
    /// panic at the first tensor.
    pub fn init(self) -> Result<Device> {
        let device = match self {
            Self::Flex => return Ok(Device::flex()),
            Self::NdArray => return ndarray(),
            Self::Wgpu(index) => wgpu(index)?,
            Self::Cuda(index) => cuda(index)?,
        };
        // burn's GPU devices start lazily and panic when there is no adapter; touch it once.
        let probe = std::panic::catch_unwind(|| {
            burn::tensor::Tensor::<1>::from_floats([1.0], &device).into_data();
        });
        // The panic message went to stderr already; say what it means.
        if probe.is_err() {
            bail!("--device {self}: no usable device (see the message above); `--device flex` runs on the CPU");
        }
        Ok(device)
    }
}

/// `trainer train --device`: one device, or several separated by commas, which then train in data
/// parallel (the first holds the model). A device named twice gets two workers: no faster, but it
/// lets a machine without GPUs run the data-parallel path (`flex,flex`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceList(Vec<DeviceChoice>);

impl FromStr for DeviceList {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.split(',').map(str::parse).collect::<Result<Vec<_>, _>>().map(Self)
    }
}

impl fmt::Display for DeviceList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(DeviceChoice::to_string).collect();
        write!(f, "{}", names.join(","))
    }
}

impl Default for DeviceList {
    fn default() -> Self {
        Self(vec![DeviceChoice::Flex])
    }
}

impl DeviceList {
    /// Every device, started and checked, in the order given.
    pub fn init(&self) -> Result<Vec<Device>> {
        self.0.iter().map(|choice| choice.init()).collect()
    }
}

#[cfg(feature = "ndarray")]
fn ndarray() -> Result<Device> {
    // Deprecated by burn in favour of flex; built only to measure the two against each other.
    #[allow(deprecated)]
    Ok(Device::ndarray())
}

#[cfg(not(feature = "ndarray"))]
fn ndarray() -> Result<Device> {
    bail!("this trainer was built without ndarray: build it with `cargo build --release -p trainer --features ndarray`")
}

#[cfg(feature = "wgpu")]
fn wgpu(index: Option<usize>) -> Result<Device> {
    use burn::tensor::DeviceKind;
    Ok(Device::wgpu(index.map_or(DeviceKind::DefaultDevice, DeviceKind::DiscreteGpu)))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu(_: Option<usize>) -> Result<Device> {
    bail!("this trainer was built without wgpu: build it with `cargo build --release -p trainer --features wgpu`")
}

#[cfg(feature = "cuda")]
fn cuda(index: usize) -> Result<Device> {
    Ok(Device::cuda(index))
}

#[cfg(not(feature = "cuda"))]
fn cuda(_: usize) -> Result<Device> {
    bail!("this trainer was built without CUDA: build it with `cargo build --release -p trainer --features cuda`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_round_trip() {
        for text in ["flex", "ndarray", "wgpu", "wgpu:1", "cuda:0"] {
            assert_eq!(text.parse::<DeviceChoice>().unwrap().to_string(), text);
        }
        assert_eq!("cuda".parse::<DeviceChoice>(), Ok(DeviceChoice::Cuda(0)));
        assert!("tpu".parse::<DeviceChoice>().unwrap_err().contains("unknown device `tpu`"));
        assert!("wgpu:x".parse::<DeviceChoice>().unwrap_err().contains("not a device number"));
    }

    #[test]
    fn a_device_list_is_comma_separated() {
        let list: DeviceList = "wgpu:0,wgpu:1".parse().unwrap();
        assert_eq!(list, DeviceList(vec![DeviceChoice::Wgpu(Some(0)), DeviceChoice::Wgpu(Some(1))]));
        assert_eq!(list.to_string(), "wgpu:0,wgpu:1");
        assert_eq!("flex".parse::<DeviceList>().unwrap(), DeviceList::default());
        assert!("flex,".parse::<DeviceList>().unwrap_err().contains("unknown device ``"));
    }
}
