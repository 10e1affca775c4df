//! `icnet run`: executes exactly one run, named by its hash (from `icnet plan`), into the shared
//! run cache; what a scheduler's worker calls.
//!
//! The run is computed in a temporary directory and renamed into place (see [`crate::cache`]),
//! so two workers racing on the same hash both end with a valid entry. A run whose experiment
//! depends on another needs that experiment's runs in the cache first; `icnet run` fails with
//! the list of missing ones rather than computing them (that is the scheduler's ordering job).

use crate::cache::RunCache;
use crate::commands::plan::read_plan;
use crate::profile::Profile;
use crate::progress::Progress;
use crate::registry::{DepRuns, Experiment, Registry, RunRecord, RunSpec};
use crate::reproduce::{plan, run_one, thread_pool, PlannedExperiment};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Which run `icnet run` executes.
#[derive(Clone, Debug, PartialEq)]
pub enum RunTarget {
    /// A run hash, optionally with the experiment it belongs to (which saves planning, and
    /// preparing the data of, every other experiment).
    Hash {
        /// The run hash.
        hash: String,
        /// Its experiment, if known.
        experiment: Option<String>,
    },
    /// The `index`-th run of dependency stage `stage` of a plan file (SLURM array tasks).
    PlanIndex {
        /// The plan file written by `icnet plan`.
        plan: PathBuf,
        /// Dependency stage.
        stage: usize,
        /// Index among the runs of that stage.
        index: usize,
    },
}

/// What `icnet run` was asked to do.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The run.
    pub target: RunTarget,
    /// Profile the hash was planned for.
    pub profile: Profile,
    /// The shared run cache.
    pub cache: PathBuf,
    /// Threads of the run's rayon pool; `None`: every core.
    pub jobs: Option<usize>,
    /// Recompute and replace the run even if it is cached.
    pub force: bool,
}

/// The outcome of `icnet run`.
#[derive(Debug)]
pub struct RunReport {
    /// The finished run.
    pub record: RunRecord,
    /// Whether it was already in the cache (nothing was computed).
    pub cached: bool,
}

/// Resolves the target to (hash, experiment hint).
fn resolve(target: &RunTarget) -> Result<(String, Option<String>)> {
    match target {
        RunTarget::Hash { hash, experiment } => Ok((hash.clone(), experiment.clone())),
        RunTarget::PlanIndex { plan, stage, index } => {
            let entries = read_plan(plan)?;
            let in_stage: Vec<_> = entries.iter().filter(|e| e.stage == *stage).collect();
            let entry = in_stage.get(*index).with_context(|| {
                format!(
                    "--index {index} is out of range: stage {stage} of plan file {} has {} runs (indices 0 to {})",
                    plan.display(),
                    in_stage.len(),
                    in_stage.len() as i64 - 1
                )
            })?;
            Ok((entry.hash.clone(), Some(entry.experiment.clone())))
        }
    }
}

/// Plans the closure of one experiment after preparing its inputs.
fn plan_experiment<'r>(
    registry: &'r Registry,
    id: &str,
    profile: Profile,
) -> Result<Vec<PlannedExperiment<'r>>> {
    let closure = registry.closure(Some(&[id.to_string()]))?;
    for exp in &closure {
        exp.prepare(profile)
            .with_context(|| format!("cannot prepare the inputs of experiment {}", exp.id()))?;
    }
    plan(&closure, profile)
}

/// Finds the run with `hash` among `experiment`'s runs.
fn find<'a>(
    plans: &'a [PlannedExperiment<'_>],
    experiment: &str,
    hash: &str,
) -> Option<&'a RunSpec> {
    plans
        .iter()
        .find(|p| p.experiment.id() == experiment)?
        .runs
        .iter()
        .find(|(_, h)| h == hash)
        .map(|(spec, _)| spec)
}

/// Executes (or finds cached) the run named by `opts.target`.
pub fn run_single(
    registry: &Registry,
    opts: &RunOptions,
    progress: &Progress,
) -> Result<RunReport> {
    let (hash, hint) = resolve(&opts.target)?;
    anyhow::ensure!(
        hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        "'{hash}' is not a run hash (64 hexadecimal digits); take one from `icnet plan --profile {}`",
        opts.profile
    );
    let pool = thread_pool(opts.jobs)?;
    let cache = RunCache::new(&opts.cache);
    cache.ensure_writable()?;

    // With the experiment known, only its closure is planned; without, every experiment is
    // planned in turn (those that cannot be planned here, e.g. for missing data, are skipped
    // and named if the hash is not found).
    let candidates: Vec<&str> = match &hint {
        Some(id) => {
            registry.check_ids(std::slice::from_ref(id), "--experiment")?;
            vec![registry.get(id).map(|e| e.id()).unwrap_or_default()]
        }
        None => registry.ids(),
    };
    let mut unplannable = Vec::new();
    let mut found = None;
    for id in candidates {
        let plans = if hint.is_some() {
            plan_experiment(registry, id, opts.profile)?
        } else {
            let closure = registry.closure(Some(&[id.to_string()]))?;
            match plan(&closure, opts.profile) {
                Ok(plans) => plans,
                Err(e) => {
                    unplannable.push(format!("{id} ({})", crate::cli::one_line(&e)));
                    continue;
                }
            }
        };
        if let Some(spec) = find(&plans, id, &hash) {
            found = Some((spec.clone(), plans));
            break;
        }
    }
    let Some((spec, plans)) = found else {
        let mut message = format!(
            "no run of profile {} has hash {hash}{}; check the hash and profile against `icnet plan --profile {}` (the code version is part of the hash, so a plan made by another build does not match)",
            opts.profile,
            hint.as_ref().map(|e| format!(" in experiment {e}")).unwrap_or_default(),
            opts.profile
        );
        if !unplannable.is_empty() {
            message.push_str(&format!(
                "; experiments that could not be planned here: {}",
                unplannable.join(", ")
            ));
        }
        anyhow::bail!(message);
    };
    let exp: &dyn Experiment = plans
        .iter()
        .find(|p| p.experiment.id() == spec.experiment)
        .map(|p| p.experiment)
        .context("the planned experiment vanished")?;
    if hint.is_none() {
        // Planning found it; now make the inputs available as `reproduce` would.
        exp.prepare(opts.profile)
            .with_context(|| format!("cannot prepare the inputs of experiment {}", exp.id()))?;
    }

    // The direct dependencies' runs must be finished.
    let mut deps = DepRuns::new();
    let mut missing = Vec::new();
    for dep in exp.depends_on() {
        let dep_plan = plans
            .iter()
            .find(|p| p.experiment.id() == *dep)
            .with_context(|| format!("dependency {dep} of {} was not planned", exp.id()))?;
        let mut records = Vec::new();
        for (dep_spec, dep_hash) in &dep_plan.runs {
            match cache.load(dep_hash) {
                Some(r) => records.push(r),
                None => missing.push(format!("{dep}/{} ({dep_hash})", dep_spec.label)),
            }
        }
        deps.insert(*dep, records);
    }
    anyhow::ensure!(
        missing.is_empty(),
        "run {}/{} needs the runs of {} first, and {} of them are not in {}: {}; run those first (a SLURM script from `icnet plan --emit slurm` orders them by stage)",
        exp.id(),
        spec.label,
        exp.depends_on().join(", "),
        missing.len(),
        cache.root().display(),
        missing.join(", ")
    );

    let (record, cached) = pool.install(|| {
        run_one(
            exp,
            &spec,
            &hash,
            &cache,
            opts.profile,
            &deps,
            progress,
            opts.force,
        )
    })?;
    Ok(RunReport { record, cached })
}

/// Runs `icnet run` and reports what happened on stderr.
pub fn run(opts: &RunOptions) -> Result<()> {
    let registry = crate::experiments::registry()?;
    let started = std::time::Instant::now();
    let report = run_single(&registry, opts, &Progress::stderr())?;
    let r = &report.record;
    if report.cached {
        eprintln!(
            "run {}/{} ({}) is already in the cache at {}",
            r.spec.experiment,
            r.spec.label,
            r.hash,
            r.dir.display()
        );
    } else {
        eprintln!(
            "run {}/{} ({}) executed in {:.2} s into {}",
            r.spec.experiment,
            r.spec.label,
            r.hash,
            started.elapsed().as_secs_f64(),
            r.dir.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures;

    fn options(dir: &std::path::Path, target: RunTarget) -> RunOptions {
        RunOptions {
            target,
            profile: Profile::Smoke,
            cache: dir.join("runs"),
            jobs: Some(1),
            force: false,
        }
    }

    fn hashes(registry: &Registry) -> Vec<(String, String)> {
        let all: Vec<_> = registry.all().collect();
        plan(&all, Profile::Smoke)
            .unwrap()
            .iter()
            .flat_map(|p| {
                p.runs
                    .iter()
                    .map(|(_, h)| (p.experiment.id().to_string(), h.clone()))
            })
            .collect()
    }

    #[test]
    fn one_run_by_hash_needs_its_dependencies_first_and_is_then_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = fixtures::registry();
        let runs = hashes(&registry);
        let (_, top) = runs.iter().find(|(e, _)| e == "top").unwrap().clone();
        let hidden = Progress::hidden();
        let by_hash = |hash: &str, experiment: Option<&str>| {
            options(
                tmp.path(),
                RunTarget::Hash {
                    hash: hash.to_string(),
                    experiment: experiment.map(str::to_string),
                },
            )
        };
        // top before base: refused, naming the missing runs.
        let e = run_single(&registry, &by_hash(&top, None), &hidden).unwrap_err();
        let e = crate::cli::one_line(&e);
        assert!(
            e.contains("needs the runs of base first") && e.contains("3 of them"),
            "{e}"
        );
        // The base runs, one by one, with and without the experiment hint.
        for (i, (_, hash)) in runs.iter().filter(|(e, _)| e == "base").enumerate() {
            let hint = (i % 2 == 0).then_some("base");
            let report = run_single(&registry, &by_hash(hash, hint), &hidden).unwrap();
            assert!(!report.cached);
            assert_eq!(&report.record.hash, hash);
        }
        let report = run_single(&registry, &by_hash(&top, Some("top")), &hidden).unwrap();
        assert_eq!(report.record.summary_f64("sum").unwrap(), 12.0);
        // Again: reused; forced: recomputed in place.
        assert!(
            run_single(&registry, &by_hash(&top, None), &hidden)
                .unwrap()
                .cached
        );
        let mut forced = by_hash(&top, None);
        forced.force = true;
        assert!(!run_single(&registry, &forced, &hidden).unwrap().cached);
        assert_eq!(
            std::fs::read_dir(tmp.path().join("runs")).unwrap().count(),
            4
        );
    }

    #[test]
    fn bad_hashes_and_plan_indices_are_one_sentence_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = fixtures::registry();
        let hidden = Progress::hidden();
        let target = |hash: &str, experiment: Option<&str>| RunTarget::Hash {
            hash: hash.into(),
            experiment: experiment.map(str::to_string),
        };
        let e = run_single(
            &registry,
            &options(tmp.path(), target("xyz", None)),
            &hidden,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("'xyz' is not a run hash"), "{e}");
        let zeros = "0".repeat(64);
        let e = run_single(
            &registry,
            &options(tmp.path(), target(&zeros, None)),
            &hidden,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("no run of profile smoke has hash 000"), "{e}");
        let e = run_single(
            &registry,
            &options(tmp.path(), target(&zeros, Some("fig9"))),
            &hidden,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("unknown experiment 'fig9' in --experiment"),
            "{e}"
        );

        let plan_file = tmp.path().join("plan.json");
        let plan_opts = crate::commands::plan::PlanOptions {
            profile: Profile::Smoke,
            only: None,
            cache: tmp.path().join("runs"),
            emit: crate::commands::plan::Emit::Json,
            plan_file: None,
            out: None,
            icnet: "icnet".into(),
            collect_out: tmp.path().join("out"),
        };
        let entries = crate::commands::plan::make_plan(&registry, &plan_opts).unwrap();
        std::fs::write(&plan_file, serde_json::to_string(&entries).unwrap()).unwrap();
        let indexed = |stage, index| {
            options(
                tmp.path(),
                RunTarget::PlanIndex {
                    plan: plan_file.clone(),
                    stage,
                    index,
                },
            )
        };
        let e = run_single(&registry, &indexed(0, 3), &hidden)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--index 3 is out of range: stage 0") && e.contains("has 3 runs"),
            "{e}"
        );
        let report = run_single(&registry, &indexed(0, 2), &hidden).unwrap();
        assert_eq!(report.record.spec.label, "seed3");
    }
}
