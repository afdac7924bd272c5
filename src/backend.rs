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
    let (device, setup) = Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_with_setup_async()
        .await
        .map_err(|error| format!("WebGPU is not available: {error}"))?;
    // A device is lost to a driver reset, a crashed GPU process, a phone reclaiming memory: say
    // so at once, rather than leave the next request waiting on a queue that never answers.
    setup.device.set_device_lost_callback(|reason, message| {
        let message = message.trim().trim_end_matches('.');
        let why = if message.is_empty() { format!("{reason:?}") } else { message.to_owned() };
        WEBGPU_LOST.with(|hook| hook.get().map(|hook| hook(&why)));
    });
    WEBGPU.with_borrow_mut(|slot| *slot = Some(device.clone()));
    Ok(device)
}

#[cfg(feature = "webgpu")]
thread_local! {
    static WEBGPU_LOST: std::cell::Cell<Option<fn(&str)>> = const { std::cell::Cell::new(None) };
}

/// Has `hook` called with the browser's reason when the WebGPU device is lost (the page's
/// worker passes it on to the page, which moves to the CPU).
#[cfg(feature = "webgpu")]
pub fn on_webgpu_lost(hook: fn(&str)) {
    WEBGPU_LOST.with(|slot| slot.set(Some(hook)));
}
