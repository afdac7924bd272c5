//! `Teacher` in JavaScript: a Teach session in the page's worker. The worker feeds it images in
//! batches, steps it batch by batch (answering Cancel between any two), and asks for the bundle.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Float32Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::to_js;
use crate::Manifest;
use crate::backend::Backend;
use crate::teach::{Recipe, TeachSession};

#[wasm_bindgen]
pub struct Teacher {
    // Shared with the futures behind returned promises, which outlive `&self`.
    session: Rc<RefCell<TeachSession>>,
}

#[wasm_bindgen]
impl Teacher {
    /// Starts from the bundle (`manifest_json`, `weights`, checked) to learn `classes` with the
    /// settings in `recipe_json` (missing ones take the trainer's defaults); features are
    /// computed on `backend`.
    pub async fn start(
        manifest_json: String,
        weights: Vec<u8>,
        backend: String,
        classes: Vec<String>,
        recipe_json: String,
    ) -> Result<Teacher, JsError> {
        let backend = Backend::parse(&backend).map_err(|error| JsError::new(&error))?;
        let manifest = Manifest::parse(&manifest_json).map_err(|error| JsError::new(&error.to_string()))?;
        let recipe = Recipe::parse(&recipe_json).map_err(|error| JsError::new(&error))?;
        let device = backend.device().await.map_err(|error| JsError::new(&error))?;
        let session = TeachSession::new(manifest, &weights, classes, recipe, device).map_err(|error| JsError::new(&error))?;
        Ok(Teacher { session: Rc::new(RefCell::new(session)) })
    }

    /// For each image's class (in the byte order of the paths), 1 if it is held out for
    /// validation, else 0.
    #[wasm_bindgen(js_name = validationShare)]
    pub fn validation_share(&self, classes: Vec<u32>) -> Result<Vec<u8>, JsError> {
        let classes: Vec<usize> = classes.into_iter().map(|class| class as usize).collect();
        let held_out = self.session.borrow().validation_share(&classes).map_err(|error| JsError::new(&error))?;
        Ok(held_out.into_iter().map(u8::from).collect())
    }

    /// The settings Teach uses where the page gives none (`trainer train`'s defaults), as JSON.
    pub fn defaults() -> String {
        serde_json::to_string(&Recipe::default()).expect("settings serialise")
    }

    /// Keeps the features of `images` with their classes and held-out flags. Resolves to one
    /// entry per image: `null`, or why it was skipped.
    #[wasm_bindgen(js_name = addImages)]
    pub fn add_images(&self, images: Vec<Uint8Array>, classes: Vec<u32>, held_out: Vec<u8>) -> Promise {
        let session = Rc::clone(&self.session);
        let images: Vec<Vec<u8>> = images.iter().map(Uint8Array::to_vec).collect();
        let labels: Vec<(usize, bool)> = classes.iter().zip(&held_out).map(|(&class, &held)| (class as usize, held != 0)).collect();
        future_to_promise(async move {
            let borrowed: Vec<&[u8]> = images.iter().map(Vec::as_slice).collect();
            // The worker awaits each request before the next: no other borrow is alive meanwhile.
            let rows = session.borrow().features(&borrowed).await.map_err(to_js)?;
            let reasons = session.borrow_mut().keep(rows, &labels);
            let entries = Array::new();
            for reason in reasons {
                entries.push(&reason.map_or(JsValue::NULL, |reason| JsValue::from_str(&reason)));
            }
            Ok(entries.into())
        })
    }

    /// `[training, validation]` images kept.
    pub fn counts(&self) -> Vec<u32> {
        let (train, val) = self.session.borrow().counts();
        vec![train as u32, val as u32]
    }

    /// Runs the next batch, and the validation after an epoch's last: as JSON, `{"batch":
    /// {epoch, batch, batches}}` or `{"epoch": TeachEpoch}`; `undefined` once all have run.
    #[wasm_bindgen(js_name = nextStep)]
    pub fn next_step(&self) -> Result<Option<String>, JsError> {
        let stepped = self.session.borrow_mut().next_step().map_err(|error| JsError::new(&error))?;
        Ok(stepped.map(|stepped| serde_json::to_string(&stepped).expect("a step serialises")))
    }

    /// Ends training after the epochs run so far; the best is kept.
    pub fn stop(&self) {
        self.session.borrow_mut().stop();
    }

    /// The kept epoch's probabilities for each validation image, in the order they were added.
    #[wasm_bindgen(js_name = validationProbabilities)]
    pub fn validation_probabilities(&self) -> Array {
        self.session.borrow().validation_probabilities().iter().map(|row| Float32Array::from(row.as_slice())).collect()
    }

    /// The instance's linear memory now, in bytes (it never shrinks): the peak so far, which the
    /// benchmark reports for a large Teach.
    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes() -> f64 {
        (core::arch::wasm32::memory_size(0) * 65536) as f64
    }

    /// The kept epoch as a bundle: `[model.json text, weights bytes]`.
    pub fn bundle(&self, name: String) -> Result<Array, JsError> {
        let (manifest, weights) = self.session.borrow().bundle(&name).map_err(|error| JsError::new(&error))?;
        Ok(Array::of2(&JsValue::from_str(&(manifest.to_json() + "\n")), &Uint8Array::from(weights.as_slice())))
    }
}
