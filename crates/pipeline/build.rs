//! Computes the code version that keys the run cache: a SHA-256 over every `*.rs` and
//! `Cargo.toml` under `<workspace>/crates` (sorted by path relative to the workspace root)
//! plus `Cargo.lock`, exposed to the crate as `env!("ICNET_SOURCE_HASH")`.
//!
//! Any change to any crate's code therefore invalidates every cached run, which is the
//! conservative choice: a run can never be reused with code that did not produce it.

use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Build outputs and editor/VCS droppings are not source.
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && (name == "tests" || name == "benches" || name == "examples") {
            // Integration tests, benches and examples do not change what a run computes.
            continue;
        }
        if kind.is_dir() {
            collect(&path, out);
        } else if kind.is_file() && (name.ends_with(".rs") || name == "Cargo.toml") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .and_then(Path::parent)
        .expect("crates/pipeline sits two levels below the workspace root")
        .to_path_buf();
    let crates = root.join("crates");
    let lock = root.join("Cargo.lock");

    let mut files = Vec::new();
    collect(&crates, &mut files);
    let mut relative: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            (rel, p)
        })
        .collect();
    relative.sort();

    let mut hasher = Sha256::new();
    // Length-prefix every field so that no two different file sets hash alike.
    let mut feed = |label: &str, bytes: &[u8]| {
        hasher.update((label.len() as u64).to_le_bytes());
        hasher.update(label.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    for (rel, path) in &relative {
        let bytes = fs::read(path).unwrap_or_default();
        feed(rel, &bytes);
    }
    match fs::read(&lock) {
        Ok(bytes) => feed("Cargo.lock", &bytes),
        Err(_) => feed("Cargo.lock", b"<absent>"),
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();

    println!("cargo:rustc-env=ICNET_SOURCE_HASH={hex}");
    println!("cargo:rustc-env=ICNET_WORKSPACE_ROOT={}", root.display());
    println!("cargo:rerun-if-changed={}", crates.display());
    println!("cargo:rerun-if-changed={}", lock.display());
}
