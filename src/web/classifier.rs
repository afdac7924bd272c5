//! `Classifier` in JavaScript: a bundle loaded on one backend.

use std::rc::Rc;

use js_sys::{Array, Float32Array, Object, Promise, Reflect, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::to_js;
use crate::Manifest;
use crate::backend::Backend;

/// A model bundle loaded on one backend.
#[wasm_bindgen(js_name = Classifier)]
pub struct WebClassifier {
    // Shared with the futures behind returned promises, which outlive `&self`.
    inner: Rc<crate::Classifier>,
    backend: Backend,
}

#[wasm_bindgen(js_class = Classifier)]
impl WebClassifier {
    /// Checks the bundle (manifest, checksum, architecture) and loads it on `backend`
    /// (`"cpu"` or `"webgpu"`).
    pub async fn load(manifest_json: String, weights: Vec<u8>, backend: String) -> Result<WebClassifier, JsError> {
        let backend = Backend::parse(&backend).map_err(|error| JsError::new(&error))?;
        let manifest = Manifest::parse(&manifest_json).map_err(|error| JsError::new(&error.to_string()))?;
        let device = backend.device().await.map_err(|error| JsError::new(&error))?;
        let classifier =
            crate::Classifier::load(manifest, &weights, device).map_err(|error| JsError::new(&error.to_string()))?;
        Ok(WebClassifier { inner: Rc::new(classifier), backend })
    }

    pub fn backend(&self) -> String {
        self.backend.name().to_owned()
    }

    pub fn classes(&self) -> Vec<String> {
        self.inner.classes().to_vec()
    }

    #[wasm_bindgen(js_name = manifestJson)]
    pub fn manifest_json(&self) -> String {
        self.inner.manifest().to_json()
    }

    /// Runs one blank image through the network so that shader compilation and allocation are
    /// not paid by the user's first image. Resolves to nothing.
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move {
            let size = inner.preprocessor().image_size;
            inner.probabilities(&[vec![0.0; 3 * size * size]]).await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Encoded image bytes → `Float32Array` of class probabilities. Rejects with an `Error` whose
    /// message says why the image could not be read.
    pub fn classify(&self, image: Vec<u8>) -> Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move {
            let mut results = inner.classify_batch(&[&image]).await.map_err(to_js)?;
            let probabilities = results.pop().expect("one result per image").map_err(to_js)?;
            Ok(Float32Array::from(probabilities.as_slice()).into())
        })
    }

    /// Where the network saw `class` (the most probable one when `undefined`) in one image.
    /// Resolves to `{ probabilities, class, map (normalised, row-major), mapWidth, mapHeight,
    /// peakX, peakY (fractions of the image), overlay (RGBA bytes of the map over the image),
    /// overlayWidth, overlayHeight }`; rejects with why the image cannot be read.
    pub fn locate(&self, image: Vec<u8>, class: Option<u32>) -> Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move {
            let located = inner.locate(&image, class.map(|class| class as usize)).await.map_err(to_js)?.map_err(to_js)?;
            let (peak_x, peak_y) = located.map.peak();
            let (overlay_width, overlay_height) = located.overlay.dimensions();
            let result = Object::new();
            let set = |key: &str, value: JsValue| Reflect::set(&result, &key.into(), &value).map(|_| ());
            set("probabilities", Float32Array::from(located.probabilities.as_slice()).into())?;
            set("class", located.map.class.into())?;
            set("map", Float32Array::from(located.map.normalized().as_slice()).into())?;
            set("mapWidth", located.map.width.into())?;
            set("mapHeight", located.map.height.into())?;
            set("peakX", peak_x.into())?;
            set("peakY", peak_y.into())?;
            set("overlay", Uint8ClampedArray::from(located.overlay.as_raw().as_slice()).into())?;
            set("overlayWidth", overlay_width.into())?;
            set("overlayHeight", overlay_height.into())?;
            Ok(result.into())
        })
    }

    /// The map's colours from low to high, `width` RGBA pixels: the legend beside an overlay.
    pub fn legend(width: usize) -> Uint8ClampedArray {
        let pixels: Vec<u8> = crate::class_map::legend(width).into_iter().flat_map(|rgb| [rgb.0[0], rgb.0[1], rgb.0[2], 255]).collect();
        Uint8ClampedArray::from(pixels.as_slice())
    }

    /// Resolves to one entry per image: a `Float32Array` of probabilities, or a string saying why
    /// that image could not be read. Rejects only when the backend itself fails.
    #[wasm_bindgen(js_name = classifyBatch)]
    pub fn classify_batch(&self, images: Vec<Uint8Array>) -> Promise {
        let inner = Rc::clone(&self.inner);
        let images: Vec<Vec<u8>> = images.iter().map(Uint8Array::to_vec).collect();
        future_to_promise(async move {
            let borrowed: Vec<&[u8]> = images.iter().map(Vec::as_slice).collect();
            let results = inner.classify_batch(&borrowed).await.map_err(to_js)?;
            let entries = Array::new();
            for result in results {
                entries.push(&match result {
                    Ok(probabilities) => Float32Array::from(probabilities.as_slice()).into(),
                    Err(reason) => JsValue::from_str(&reason.to_string()),
                });
            }
            Ok(entries.into())
        })
    }
}

