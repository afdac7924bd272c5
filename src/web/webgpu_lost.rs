//! `onWebGpuLost(callback)` in JavaScript: `callback(reason)` runs when the browser takes the
//! WebGPU device away, so that the worker can tell the page, which moves the model to the CPU.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

thread_local! {
    static CALLBACK: RefCell<Option<Function>> = const { RefCell::new(None) };
}

#[wasm_bindgen(js_name = onWebGpuLost)]
pub fn on_webgpu_lost(callback: Function) {
    CALLBACK.with_borrow_mut(|slot| *slot = Some(callback));
    crate::backend::on_webgpu_lost(|reason| {
        CALLBACK.with_borrow(|callback| callback.as_ref().map(|callback| callback.call1(&JsValue::NULL, &JsValue::from_str(reason))));
    });
}
