//! Fuzzes the manifest, index and config parsers with arbitrary bytes, under each media
//! type a descriptor or Content-Type may declare: they must never panic, and a document
//! they accept must be what the declared type (or the document's own) says it is.
#![no_main]

use chainward_image::manifest::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, Document, OCI_INDEX, OCI_MANIFEST, parse_config, parse_document,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for declared in [None, Some(OCI_MANIFEST), Some(OCI_INDEX), Some(DOCKER_MANIFEST), Some(DOCKER_MANIFEST_LIST)] {
        match parse_document(data, declared, "fuzz") {
            Ok(Document::Manifest(m)) => {
                let _ = m.config.digest.to_string();
                for l in &m.layers {
                    let _ = l.digest.to_string();
                }
            }
            Ok(Document::Index(i)) => {
                for d in &i.manifests {
                    if let Some(p) = &d.platform {
                        let _ = p.to_platform().to_string();
                    }
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    if let Ok(config) = parse_config(data, "fuzz") {
        let _ = config.platform();
    }
});
