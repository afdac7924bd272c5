//! Any text as a bundle's `model.json`: refused with a reason, or read into a manifest that
//! writes back to the same manifest.

use effilens::Manifest;

use crate::Outcome;

pub fn manifest(data: &[u8]) -> Outcome {
    let text = std::str::from_utf8(data).map_err(|error| error.to_string())?;
    let manifest = Manifest::parse(text).map_err(|error| error.to_string())?;
    let again = Manifest::parse(&manifest.to_json()).expect("a manifest's own JSON reads back");
    assert_eq!(again, manifest, "a manifest reads back as itself");
    Ok(())
}
