//! Which burn backend runs inference in the browser.

use burn::tensor::Device;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// burn's `flex` CPU backend.
    Cpu,
    /// burn on wgpu through the browser's WebGPU.
    #[cfg(feature = "webgpu")]
    WebGpu,
}

impl Backend {
    /// `"cpu"` or `"webgpu"`.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "cpu" => Ok(Backend::Cpu),
            #[cfg(feature = "webgpu")]
            "webgpu" => Ok(Backend::WebGpu),
            #[cfg(not(feature = "webgpu"))]
            "webgpu" => Err("this build has no WebGPU backend: load the webgpu build".into()),
            other => Err(format!("unknown backend '{other}' (expected cpu or webgpu)")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            #[cfg(feature = "webgpu")]
            Backend::WebGpu => "webgpu",
        }
    }

    /// The device to load models on. In a browser, call this only after JavaScript has found
    /// `navigator.gpu`: a WebGPU request where there is none panics instead of failing.
    pub async fn device(self) -> Result<Device, String> {
        match self {
            Backend::Cpu => Ok(Device::flex()),
            #[cfg(feature = "webgpu")]
            Backend::WebGpu => webgpu_device().await,
        }
    }
}

/// burn's wgpu runtime can be initialised only once per instance; later calls reuse it.
#[cfg(feature = "webgpu")]
async fn webgpu_device() -> Result<Device, String> {
    use burn::tensor::wgpu::WgpuBackend;
    use std::cell::RefCell;

    thread_local! {
        static WEBGPU: RefCell<Option<Device>> = const { RefCell::new(None) };
    }
    if let Some(device) = WEBGPU.with_borrow(Clone::clone) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|error| format!("WebGPU is not available: {error}"))?;
    WEBGPU.with_borrow_mut(|slot| *slot = Some(device.clone()));
    Ok(device)
}
