//! The summary files of an output directory: `metrics.json`, `manifest.json` and `index.md`,
//! merged with what earlier `icnet reproduce --only …` invocations left there.

use super::manifest::{self, ExperimentProvenance, ExperimentTiming, Manifest, ManifestOutput};
use super::{index, metrics, OutputEntry};
use crate::fsutil;
use crate::progress::Progress;
use crate::provenance::Provenance;
use crate::registry::Registry;
use crate::reproduce::ReproduceOptions;
use anyhow::Result;
use std::collections::BTreeSet;

/// Merges this invocation's outputs with those already in the output directory (other
/// experiments of the same profile are kept, so `--only` does not erase them) and writes
/// `metrics.json`, `manifest.json` and `index.md`.
pub fn write_summary_files(
    registry: &Registry,
    opts: &ReproduceOptions,
    provenance: &Provenance,
    rendered_now: &[(ExperimentProvenance, Vec<OutputEntry>)],
    new_metrics: &metrics::Metrics,
    timings: &[ExperimentTiming],
    progress: &Progress,
) -> Result<()> {
    let profile = opts.profile.name();
    let manifest_path = opts.out.join("manifest.json");
    let metrics_path = opts.out.join("metrics.json");
    let now: BTreeSet<&str> = rendered_now.iter().map(|(p, _)| p.id.as_str()).collect();
    let known: BTreeSet<&str> = registry.ids().into_iter().collect();
    let keep = |id: &str, output_profile: &str| {
        !now.contains(id) && known.contains(id) && output_profile == profile
    };

    let mut outputs: Vec<ManifestOutput> = Vec::new();
    let mut experiment_rows: Vec<ExperimentTiming> = Vec::new();
    if let Some(old) = manifest::read(&manifest_path) {
        let dropped = old
            .outputs
            .iter()
            .filter(|o| !now.contains(o.experiment.as_str()) && o.profile != profile)
            .count();
        if dropped > 0 {
            progress.log(format!(
                "note: {dropped} outputs of another profile in {} are no longer listed in its index and manifest",
                opts.out.display()
            ));
        }
        outputs.extend(
            old.outputs
                .into_iter()
                .filter(|o| keep(&o.experiment, &o.profile)),
        );
        experiment_rows.extend(
            old.experiments
                .into_iter()
                .filter(|t| t.rendered && keep(&t.id, &t.profile)),
        );
    }
    let kept: BTreeSet<String> = outputs.iter().map(|o| o.experiment.clone()).collect();
    for (exp, entries) in rendered_now {
        for entry in entries {
            let mut output = ManifestOutput::new(entry, exp, provenance);
            output.checksums = manifest::file_checksums(&opts.out, &output.files)?;
            outputs.push(output);
        }
    }
    experiment_rows.extend(timings.iter().cloned());
    let order = |id: &str| {
        registry
            .ids()
            .iter()
            .position(|k| *k == id)
            .unwrap_or(usize::MAX)
    };
    // Stable sort: registry order, then the order the experiment wrote its outputs.
    outputs.sort_by_key(|o| order(&o.experiment));
    experiment_rows.sort_by_key(|t| order(&t.id));

    let mut all_metrics: metrics::Metrics = metrics::read(&metrics_path)
        .into_iter()
        .filter(|(k, _)| k.split_once('.').is_some_and(|(id, _)| kept.contains(id)))
        .collect();
    all_metrics.extend(new_metrics.iter().map(|(k, v)| (k.clone(), *v)));

    let manifest = Manifest {
        format: manifest::MANIFEST_FORMAT,
        tool: provenance.into(),
        profile: profile.to_string(),
        command: opts.command.clone(),
        outputs,
        experiments: experiment_rows,
    };
    metrics::write(&metrics_path, &all_metrics)?;
    manifest::write(&manifest_path, &manifest)?;
    fsutil::write_atomic(
        &opts.out.join("index.md"),
        index::render(&manifest, &opts.out).as_bytes(),
    )?;
    Ok(())
}
