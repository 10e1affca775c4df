//! `manifest.json`: lets a reader trace any output back to the runs and code that made it.

use super::{OutputEntry, OutputKind};
use crate::provenance::Provenance;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Layout version of `manifest.json`.
pub const MANIFEST_FORMAT: u32 = 1;

/// The whole manifest.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version.
    pub format: u32,
    /// The tool that wrote the manifest last.
    pub tool: ToolInfo,
    /// Profile of the last `icnet reproduce` into this directory.
    pub profile: String,
    /// Command line of that invocation.
    pub command: Vec<String>,
    /// Every output in the directory, in registry order.
    pub outputs: Vec<ManifestOutput>,
    /// Per-experiment time table, in registry order.
    pub experiments: Vec<ExperimentTiming>,
}

/// Tool identity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Always `"icnet"`.
    pub name: String,
    /// `icnet` version.
    pub version: String,
    /// Hash of the workspace sources the tool was built from.
    pub source_hash: String,
    /// Git commit of the checkout, or `"unknown"`.
    pub git_commit: String,
    /// Whether tracked files differed from that commit (`null`: unknown).
    pub git_dirty: Option<bool>,
}

impl From<&Provenance> for ToolInfo {
    fn from(p: &Provenance) -> Self {
        ToolInfo {
            name: "icnet".into(),
            version: p.tool_version.clone(),
            source_hash: p.source_hash.clone(),
            git_commit: p.git_commit.clone(),
            git_dirty: p.git_dirty,
        }
    }
}

/// One output with its provenance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManifestOutput {
    /// Primary file (SVG of a figure, CSV of a table), relative to the output directory.
    pub path: String,
    /// Every file of the output.
    pub files: Vec<String>,
    /// Figure or table.
    pub kind: OutputKind,
    /// Output name.
    pub name: String,
    /// Experiment id.
    pub experiment: String,
    /// Paper figure/table the experiment regenerates.
    pub paper_ref: String,
    /// Profile the output was rendered with.
    pub profile: String,
    /// Caption, ending with the profile note.
    pub caption: String,
    /// Deviations from the paper.
    pub deviations: Vec<String>,
    /// Seeds of the runs the output was rendered from.
    pub seeds: Vec<u64>,
    /// SHA-256 of the canonical JSON list of those runs' configs.
    pub config_hash: String,
    /// Hashes (cache keys) of those runs.
    pub run_hashes: Vec<String>,
    /// Git commit when rendered.
    pub git_commit: String,
    /// Whether the checkout was dirty.
    pub git_dirty: Option<bool>,
    /// Source hash of the code that rendered it (and, by the cache key, computed its runs).
    pub source_hash: String,
    /// Union of the runs' data checksums.
    pub data_checksums: BTreeMap<String, String>,
    /// Wall time in seconds: the runs' compute time as recorded plus the experiment's render time.
    pub wall_time_s: f64,
    /// SHA-256 of every file of the output as written (file → hex digest), so `icnet verify`
    /// can tell an edited or stale file. Empty in manifests written before it existed.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

impl ManifestOutput {
    /// Joins an output entry with its experiment's provenance.
    pub fn new(
        entry: &OutputEntry,
        experiment: &ExperimentProvenance,
        provenance: &Provenance,
    ) -> Self {
        ManifestOutput {
            path: entry.files.first().cloned().unwrap_or_default(),
            files: entry.files.clone(),
            kind: entry.kind,
            name: entry.name.clone(),
            experiment: experiment.id.clone(),
            paper_ref: experiment.paper_ref.clone(),
            profile: experiment.profile.clone(),
            caption: entry.caption.clone(),
            deviations: entry.deviations.clone(),
            seeds: experiment.seeds.clone(),
            config_hash: experiment.config_hash.clone(),
            run_hashes: experiment.run_hashes.clone(),
            git_commit: provenance.git_commit.clone(),
            git_dirty: provenance.git_dirty,
            source_hash: provenance.source_hash.clone(),
            data_checksums: experiment.data_checksums.clone(),
            wall_time_s: experiment.wall_time_s,
            checksums: BTreeMap::new(),
        }
    }
}

/// What every output of one experiment shares.
#[derive(Clone, Debug)]
pub struct ExperimentProvenance {
    /// Experiment id.
    pub id: String,
    /// Paper figure/table.
    pub paper_ref: String,
    /// Profile name.
    pub profile: String,
    /// Sorted, unique seeds of its runs.
    pub seeds: Vec<u64>,
    /// Hash of its runs' configs.
    pub config_hash: String,
    /// Its runs' hashes.
    pub run_hashes: Vec<String>,
    /// Union of its runs' data checksums.
    pub data_checksums: BTreeMap<String, String>,
    /// Recorded compute time plus render time, seconds.
    pub wall_time_s: f64,
}

/// One row of the per-experiment time table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExperimentTiming {
    /// Experiment id.
    pub id: String,
    /// Paper figure/table.
    pub paper_ref: String,
    /// Profile.
    pub profile: String,
    /// Whether its outputs were rendered (false: only its runs were needed by another).
    pub rendered: bool,
    /// Number of runs.
    pub runs: usize,
    /// Runs reused from the cache.
    pub cached: usize,
    /// Runs executed in this invocation.
    pub executed: usize,
    /// Wall time of the runs executed now, seconds.
    pub run_time_s: f64,
    /// Compute time of all its runs as recorded when they were made, seconds.
    pub compute_time_s: f64,
    /// Render time, seconds.
    pub render_time_s: f64,
    /// Wall time spent on this experiment in this invocation, seconds.
    pub total_time_s: f64,
}

/// SHA-256 of each of `files` (relative to `root`).
pub fn file_checksums(root: &Path, files: &[String]) -> Result<BTreeMap<String, String>> {
    files
        .iter()
        .map(|f| {
            let path = root.join(f);
            let bytes = std::fs::read(&path).map_err(|e| {
                anyhow::anyhow!("cannot read output {} to checksum it: {e}", path.display())
            })?;
            Ok((f.clone(), crate::hashing::sha256_hex(&bytes)))
        })
        .collect()
}

/// Reads an existing manifest, or `None` if absent or unreadable (it is then rebuilt).
pub fn read(path: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(path).ok()?;
    let manifest: Manifest = serde_json::from_str(&text).ok()?;
    (manifest.format == MANIFEST_FORMAT).then_some(manifest)
}

/// Writes `manifest.json` atomically.
pub fn write(path: &Path, manifest: &Manifest) -> Result<()> {
    crate::fsutil::write_json_atomic(path, manifest)
}

/// Formats the per-experiment time table for the terminal.
pub fn time_table(rows: &[ExperimentTiming]) -> String {
    let mut out = format!(
        "{:<12} {:<10} {:>5} {:>7} {:>9} {:>10} {:>11} {:>10} {:>9}\n",
        "experiment",
        "paper",
        "runs",
        "cached",
        "executed",
        "run (s)",
        "compute (s)",
        "render (s)",
        "total (s)"
    );
    let mut total = 0.0;
    for r in rows {
        total += r.total_time_s;
        out.push_str(&format!(
            "{:<12} {:<10} {:>5} {:>7} {:>9} {:>10.2} {:>11.2} {:>10.2} {:>9.2}\n",
            r.id,
            r.paper_ref,
            r.runs,
            r.cached,
            r.executed,
            r.run_time_s,
            r.compute_time_s,
            r.render_time_s,
            r.total_time_s
        ));
    }
    out.push_str(&format!("{:<12} {:>87.2}\n", "total", total));
    out
}
