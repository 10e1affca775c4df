//! `icnet reproduce`: runs the pipeline and prints the per-experiment time table.

use crate::output::manifest::time_table;
use crate::progress::Progress;
use crate::reproduce::{reproduce, ReproduceOptions};
use anyhow::Result;

/// Runs `icnet reproduce` with the standard registry.
pub fn run(opts: &ReproduceOptions) -> Result<()> {
    let registry = crate::experiments::registry()?;
    let progress = Progress::stderr();
    let report = reproduce(&registry, opts, &progress)?;
    println!("{}", time_table(&report.timings));
    println!(
        "wrote {} outputs (profile {}) to {}: index.md, manifest.json, metrics.json",
        report.outputs,
        opts.profile,
        opts.out.display()
    );
    Ok(())
}
