//! `icnet reproduce`: runs the pipeline and prints the per-experiment time table.

use crate::output::manifest::time_table;
use crate::progress::Progress;
use crate::reproduce::{reproduce_with, CacheMode, ReproduceOptions};
use anyhow::Result;

/// Runs `icnet reproduce` (with `--force` / `--collect` as in `mode`) with the standard registry.
pub fn run(opts: &ReproduceOptions, mode: &CacheMode) -> Result<()> {
    let registry = crate::experiments::registry()?;
    let progress = Progress::stderr();
    let report = reproduce_with(&registry, opts, mode, &progress)?;
    println!("{}", time_table(&report.timings));
    println!(
        "wrote {} outputs (profile {}) to {}: index.md, manifest.json, metrics.json",
        report.outputs,
        opts.profile,
        opts.out.display()
    );
    Ok(())
}
