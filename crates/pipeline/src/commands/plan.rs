//! `icnet plan`: the run list of a profile, for spreading the work over a scheduler.
//!
//! `--emit json` prints one [`PlanEntry`] per run. `--emit slurm` writes the same list to a plan
//! file and prints a submission script that puts the runs of each dependency *stage* into one
//! SLURM job array (`sbatch --array`), each task executing one run with
//! `icnet run --plan FILE --stage K --index $SLURM_ARRAY_TASK_ID`. Stage 0 holds the experiments
//! without dependencies; an experiment's stage is one more than its deepest dependency's. The
//! array of stage K+1 is submitted with `--dependency=afterok:<array of stage K>`, so it starts
//! only once every run of the earlier stages has succeeded (simple and honest, at the price of
//! waiting for a whole stage rather than for the exact runs needed). A last job renders the
//! outputs with `icnet reproduce --collect`.

use crate::cache::RunCache;
use crate::profile::Profile;
use crate::registry::{Experiment, Registry};
use crate::reproduce::{plan, PlannedExperiment};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One run of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanEntry {
    /// The run hash (cache key).
    pub hash: String,
    /// Id of the experiment the run belongs to.
    pub experiment: String,
    /// The run's label within its experiment.
    pub label: String,
    /// Dependency stage: runs of stage K need every run of stages below K finished first.
    pub stage: usize,
    /// Rough wall time of the run, seconds (see `Experiment::estimated_seconds`).
    pub estimated_seconds: f64,
    /// Whether the run was already in the cache when the plan was made.
    pub cached: bool,
    /// The command that executes the run into the shared cache.
    pub command: String,
}

/// Output format of `icnet plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// The run list as JSON.
    Json,
    /// A SLURM submission script (job arrays per stage).
    Slurm,
}

impl std::str::FromStr for Emit {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "json" => Ok(Emit::Json),
            "slurm" => Ok(Emit::Slurm),
            other => anyhow::bail!("unknown --emit '{other}'; use json or slurm"),
        }
    }
}

/// What `icnet plan` was asked for.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    /// Profile to plan.
    pub profile: Profile,
    /// Experiments to plan (their dependencies are planned too); `None`: all.
    pub only: Option<Vec<String>>,
    /// The shared run cache the workers write into.
    pub cache: PathBuf,
    /// Output format.
    pub emit: Emit,
    /// Where to write the JSON plan (slurm: the plan file the script reads; json: stdout if
    /// `None`).
    pub plan_file: Option<PathBuf>,
    /// Where to write the output: the JSON plan (json) or the SLURM script (slurm); `None`:
    /// stdout.
    pub out: Option<PathBuf>,
    /// The `icnet` executable the workers call.
    pub icnet: String,
    /// Output directory of the final `reproduce --collect` (slurm).
    pub collect_out: PathBuf,
}

/// Dependency stage of every planned experiment (they are ordered dependencies first).
pub fn stages(plans: &[PlannedExperiment<'_>]) -> BTreeMap<&'static str, usize> {
    let mut stage = BTreeMap::new();
    for p in plans {
        let s = p
            .experiment
            .depends_on()
            .iter()
            .filter_map(|d| stage.get(d).map(|s: &usize| s + 1))
            .max()
            .unwrap_or(0);
        stage.insert(p.experiment.id(), s);
    }
    stage
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The plan entries of `plans`, stage by stage (registry order within a stage).
pub fn entries(
    plans: &[PlannedExperiment<'_>],
    profile: Profile,
    cache: &RunCache,
    icnet: &str,
) -> Vec<PlanEntry> {
    let stage = stages(plans);
    let cache_arg = shell_quote(&cache.root().display().to_string());
    let mut out: Vec<PlanEntry> = plans
        .iter()
        .flat_map(|p| {
            let exp: &dyn Experiment = p.experiment;
            let stage = stage[exp.id()];
            let cache_arg = cache_arg.clone();
            p.runs.iter().map(move |(spec, hash)| PlanEntry {
                hash: hash.clone(),
                experiment: exp.id().to_string(),
                label: spec.label.clone(),
                stage,
                estimated_seconds: exp.estimated_seconds(profile, spec),
                cached: cache.contains(hash),
                command: format!(
                    "{} run {hash} --profile {profile} --experiment {} --cache {cache_arg}",
                    shell_quote(icnet),
                    exp.id()
                ),
            })
        })
        .collect();
    out.sort_by_key(|e| e.stage);
    out
}

/// Plans the selected experiments (fetching missing data through their `prepare`, since the
/// data's checksums are part of the run hashes).
pub fn make_plan(registry: &Registry, opts: &PlanOptions) -> Result<Vec<PlanEntry>> {
    let selected = registry.closure(opts.only.as_deref())?;
    for exp in &selected {
        exp.prepare(opts.profile)
            .with_context(|| format!("cannot prepare the inputs of experiment {}", exp.id()))?;
    }
    let plans = plan(&selected, opts.profile)?;
    let cache = RunCache::new(&opts.cache);
    Ok(entries(&plans, opts.profile, &cache, &opts.icnet))
}

/// Reads a plan file written by `icnet plan`.
pub fn read_plan(path: &Path) -> Result<Vec<PlanEntry>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read plan file {}: {e}; write one with `icnet plan --emit slurm --plan-file {}`",
            path.display(),
            path.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "plan file {} is not a plan written by `icnet plan` ({e}); write it again",
            path.display()
        )
    })
}

/// Formats seconds as a SLURM time limit `D-HH:MM:SS`.
pub fn slurm_time(seconds: f64) -> String {
    let s = seconds.max(60.0).ceil() as u64;
    format!(
        "{}-{:02}:{:02}:{:02}",
        s / 86_400,
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

/// The SLURM submission script for `entries`, reading the runs from `plan_file`. Each array
/// task's time limit is twice the largest estimate of its stage plus ten minutes.
pub fn slurm_script(entries: &[PlanEntry], opts: &PlanOptions, plan_file: &Path) -> String {
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let mut s = String::new();
    s.push_str("#!/usr/bin/env bash\n");
    s.push_str(&format!(
        "# Generated by `icnet plan --profile {} --emit slurm`: submits one SLURM job array per\n\
         # dependency stage (stage K+1 waits for stage K with --dependency=afterok), each task\n\
         # executing one run of the plan file into the shared cache, then one job that renders\n\
         # the outputs with `icnet reproduce --collect`. Run it with bash on the login node;\n\
         # ICNET, SBATCH_ARGS (extra sbatch options, e.g. a partition) and CPUS may be set.\n",
        opts.profile
    ));
    s.push_str("set -euo pipefail\n");
    s.push_str(&format!(
        "ICNET=\"${{ICNET:-{}}}\"\n",
        shell_quote(&opts.icnet)
    ));
    s.push_str(&format!("PLAN={}\n", q(plan_file)));
    // Jobs may start in another directory than the submission's, so paths are absolute.
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    s.push_str(&format!("CACHE={}\n", q(&absolute(&opts.cache))));
    s.push_str(&format!("OUT={}\n", q(&absolute(&opts.collect_out))));
    s.push_str(&format!("PROFILE={}\n", opts.profile));
    let only = opts
        .only
        .as_ref()
        .map(|ids| format!(" --only {}", shell_quote(&ids.join(","))))
        .unwrap_or_default();
    s.push_str("CPUS=\"${CPUS:-2}\"\n");
    s.push_str("read -r -a EXTRA <<< \"${SBATCH_ARGS:-}\"\n");
    s.push_str("dependency=()\n");
    let last_stage = entries.iter().map(|e| e.stage).max();
    for stage in 0..=last_stage.unwrap_or(0) {
        let runs: Vec<&PlanEntry> = entries.iter().filter(|e| e.stage == stage).collect();
        if runs.is_empty() {
            continue;
        }
        let mut experiments: Vec<&str> = runs.iter().map(|e| e.experiment.as_str()).collect();
        experiments.dedup();
        let longest = runs.iter().map(|e| e.estimated_seconds).fold(0.0, f64::max);
        s.push_str(&format!(
            "\n# Stage {stage}: {} run(s) of {}.\n",
            runs.len(),
            experiments.join(", ")
        ));
        s.push_str(&format!(
            "job=$(sbatch --parsable \"${{EXTRA[@]}}\" \"${{dependency[@]}}\" --job-name=icnet-{}-s{stage} \
             --array=0-{} --cpus-per-task=\"$CPUS\" --time={} \\\n  \
             --wrap=\"$ICNET run --plan '$PLAN' --stage {stage} --index \\$SLURM_ARRAY_TASK_ID --profile $PROFILE --cache '$CACHE' --jobs $CPUS\")\n",
            opts.profile,
            runs.len() - 1,
            slurm_time(2.0 * longest + 600.0)
        ));
        s.push_str("job=${job%%;*}\n");
        s.push_str("echo \"stage ");
        s.push_str(&stage.to_string());
        s.push_str(": job array $job\"\n");
        s.push_str("dependency=(--dependency=afterok:$job)\n");
    }
    s.push_str(&format!(
        "\n# Render the figures and tables from the cache once every run has succeeded.\n\
         job=$(sbatch --parsable \"${{EXTRA[@]}}\" \"${{dependency[@]}}\" --job-name=icnet-collect \
         --cpus-per-task=\"$CPUS\" --time=0-01:00:00 \\\n  \
         --wrap=\"$ICNET reproduce --collect --profile $PROFILE{only} --cache '$CACHE' --out '$OUT' --jobs $CPUS\")\n\
         echo \"collect: job ${{job%%;*}} renders into $OUT\"\n",
    ));
    s
}

/// Runs `icnet plan`.
pub fn run(opts: &PlanOptions) -> Result<()> {
    let registry = crate::experiments::registry()?;
    let entries = make_plan(&registry, opts)?;
    let json = format!("{}\n", serde_json::to_string_pretty(&entries)?);
    match opts.emit {
        Emit::Json => match opts.out.as_ref().or(opts.plan_file.as_ref()) {
            Some(path) => crate::fsutil::write_atomic(path, json.as_bytes())?,
            None => print!("{json}"),
        },
        Emit::Slurm => {
            let plan_file = opts
                .plan_file
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("icnet-plan-{}.json", opts.profile)));
            // The script is run from elsewhere (sbatch), so it names the plan absolutely.
            let plan_file = std::path::absolute(&plan_file).unwrap_or(plan_file);
            crate::fsutil::write_atomic(&plan_file, json.as_bytes())?;
            let script = slurm_script(&entries, opts, &plan_file);
            match &opts.out {
                Some(path) => {
                    crate::fsutil::write_atomic(path, script.as_bytes())?;
                    eprintln!(
                        "wrote {} ({} runs) and the SLURM script {}; submit with `bash {}`",
                        plan_file.display(),
                        entries.len(),
                        path.display(),
                        path.display()
                    );
                }
                None => print!("{script}"),
            }
        }
    }
    let total: f64 = entries.iter().map(|e| e.estimated_seconds).sum();
    eprintln!(
        "{} runs ({} cached), about {:.1} core-hours by the experiments' estimates",
        entries.len(),
        entries.iter().filter(|e| e.cached).count(),
        (total / 360.0).ceil() / 10.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("results/runs"), "results/runs");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn slurm_times_round_up_and_carry_days() {
        assert_eq!(slurm_time(0.0), "0-00:01:00");
        assert_eq!(slurm_time(3661.2), "0-01:01:02");
        assert_eq!(slurm_time(90_000.0), "1-01:00:00");
    }

    #[test]
    fn emit_parses_and_rejects_unknown_formats() {
        assert_eq!("json".parse::<Emit>().unwrap(), Emit::Json);
        assert_eq!("slurm".parse::<Emit>().unwrap(), Emit::Slurm);
        let e = "pbs".parse::<Emit>().unwrap_err().to_string();
        assert!(e.contains("'pbs'") && e.contains("json or slurm"), "{e}");
    }

    fn options(dir: &Path, emit: Emit) -> PlanOptions {
        PlanOptions {
            profile: Profile::Smoke,
            only: None,
            cache: dir.join("runs"),
            emit,
            plan_file: None,
            out: None,
            icnet: "/opt/icnet".into(),
            collect_out: dir.join("out"),
        }
    }

    #[test]
    fn plan_lists_every_run_by_stage_with_its_estimate_and_command() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = super::super::fixtures::registry();
        let opts = options(tmp.path(), Emit::Json);
        let entries = make_plan(&registry, &opts).unwrap();
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.experiment.as_str(),
                    e.label.as_str(),
                    e.stage,
                    e.estimated_seconds,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("base", "seed1", 0, 100.0),
                ("base", "seed2", 0, 200.0),
                ("base", "seed3", 0, 300.0),
                (
                    "top",
                    "sum",
                    1,
                    crate::registry::default_estimated_seconds(Profile::Smoke)
                ),
            ]
        );
        let cache = tmp.path().join("runs").display().to_string();
        assert_eq!(
            entries[3].command,
            format!(
                "/opt/icnet run {} --profile smoke --experiment top --cache {cache}",
                entries[3].hash
            )
        );
        assert!(entries.iter().all(|e| !e.cached));
        // The JSON round-trips through a plan file.
        let file = tmp.path().join("plan.json");
        std::fs::write(&file, serde_json::to_string(&entries).unwrap()).unwrap();
        assert_eq!(read_plan(&file).unwrap(), entries);
        std::fs::write(&file, "[{").unwrap();
        let e = read_plan(&file).unwrap_err().to_string();
        assert!(e.contains("plan.json") && e.contains("not a plan"), "{e}");
    }

    #[test]
    fn slurm_script_has_one_array_per_stage_chained_by_afterok() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = super::super::fixtures::registry();
        let opts = options(tmp.path(), Emit::Slurm);
        let entries = make_plan(&registry, &opts).unwrap();
        let script = slurm_script(&entries, &opts, Path::new("/p/plan.json"));
        let submits: Vec<&str> = script
            .lines()
            .filter(|l| l.starts_with("job=$(sbatch"))
            .collect();
        assert_eq!(
            submits.len(),
            3,
            "two stages and the collect job:\n{script}"
        );
        assert!(submits[0].contains("--array=0-2") && submits[0].contains("icnet-smoke-s0"));
        assert!(submits[1].contains("--array=0-0") && submits[1].contains("icnet-smoke-s1"));
        // Stage 0 waits for nothing; later jobs wait for the previous array.
        let first = script.find("job=$(sbatch").unwrap();
        assert!(script[..first].contains("dependency=()"));
        assert_eq!(
            script
                .matches("dependency=(--dependency=afterok:$job)")
                .count(),
            2
        );
        assert!(script.contains("--stage 1 --index \\$SLURM_ARRAY_TASK_ID"));
        assert!(script.contains("PLAN=/p/plan.json"));
        // Time limit: twice the longest estimate of the stage plus ten minutes.
        assert!(submits[0].contains(&format!("--time={}", slurm_time(2.0 * 300.0 + 600.0))));
        assert!(script.contains("reproduce --collect --profile $PROFILE --cache"));
        let mut only = opts.clone();
        only.only = Some(vec!["top".into()]);
        let script = slurm_script(&entries, &only, Path::new("/p/plan.json"));
        assert!(script.contains("reproduce --collect --profile $PROFILE --only top --cache"));
    }
}
