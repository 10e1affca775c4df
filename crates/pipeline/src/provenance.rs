//! Where outputs came from: tool version, source hash, git commit.

use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// Version of this `icnet` binary.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Provenance shared by every output of one invocation.
#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    /// `icnet` version.
    pub tool_version: String,
    /// Hash of the workspace sources this binary was built from (see `build.rs`).
    pub source_hash: String,
    /// `git rev-parse HEAD` of the checkout, or `"unknown"` when git is unavailable.
    pub git_commit: String,
    /// Whether the sources (`crates/`, `Cargo.toml`, `Cargo.lock`, untracked files included)
    /// differ from that commit (`None` when git is unavailable). Generated outputs do not count.
    pub git_dirty: Option<bool>,
}

impl Provenance {
    /// Collects provenance now; git is asked about the workspace the binary was built from
    /// when it still exists, otherwise about the current directory.
    pub fn collect() -> Self {
        let built_from = Path::new(env!("ICNET_WORKSPACE_ROOT"));
        let dir = if built_from.is_dir() {
            built_from.to_path_buf()
        } else {
            ".".into()
        };
        let git = |args: &[&str]| -> Option<String> {
            let output = Command::new("git")
                .arg("-C")
                .arg(&dir)
                .args(args)
                .output()
                .ok()?;
            output
                .status
                .success()
                .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
        };
        let commit = git(&["rev-parse", "HEAD"]).filter(|c| !c.is_empty());
        let dirty = commit
            .as_ref()
            .and_then(|_| {
                git(&[
                    "status",
                    "--porcelain",
                    "--",
                    "crates",
                    "Cargo.toml",
                    "Cargo.lock",
                ])
            })
            .map(|s| !s.is_empty());
        Provenance {
            tool_version: TOOL_VERSION.to_string(),
            source_hash: crate::hashing::SOURCE_HASH.to_string(),
            git_commit: commit.unwrap_or_else(|| "unknown".to_string()),
            git_dirty: dirty,
        }
    }
}
