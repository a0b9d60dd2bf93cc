//! The UI is embedded at compile time: without a built `ui/dist` the crate cannot be built, so
//! say how to get one instead of the embed macro's bare "folder not found".

use std::path::Path;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-changed={}", dist.join("index.html").display());
    println!("cargo:rerun-if-changed={}", dist.join("assets").display());
    if !dist.join("index.html").is_file() {
        panic!("ui/dist/index.html is missing: build the UI first: cd ui && npm run build");
    }
}
