//! `icnet reproduce`: plan the runs of the selected experiments, execute or reuse them,
//! render outputs, and write `metrics.json`, `manifest.json` and `index.md`.
//!
//! Every input is validated before any run starts (experiment ids of `--only` and `--force`,
//! thread count, writable `--out` and `--cache`, data present or fetched by the experiments'
//! `prepare`). `--force` recomputes runs on purpose; `--collect` never computes and renders
//! from a cache filled elsewhere (`icnet run` workers), failing with the list of missing runs.

use crate::cache::RunCache;
use crate::fsutil;
use crate::hashing;
use crate::output::manifest::{ExperimentProvenance, ExperimentTiming};
use crate::output::summary::write_summary_files;
use crate::output::{metrics, OutputWriter};
use crate::profile::Profile;
use crate::progress::Progress;
use crate::provenance::{Provenance, TOOL_VERSION};
use crate::registry::{
    DepRuns, Experiment, Registry, RenderContext, RunContext, RunRecord, RunSpec,
};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

/// Layout version of `record.json`.
pub const RECORD_FORMAT: u32 = 1;

/// What `icnet reproduce` was asked to do.
#[derive(Clone, Debug)]
pub struct ReproduceOptions {
    /// Profile to reproduce.
    pub profile: Profile,
    /// Experiments to render (their dependencies are run or reused too); `None`: all.
    pub only: Option<Vec<String>>,
    /// Output directory.
    pub out: PathBuf,
    /// Run cache directory.
    pub cache: PathBuf,
    /// Size of the rayon thread pool; `None`: all cores.
    pub jobs: Option<usize>,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

/// How `icnet reproduce` treats the cache (kept apart from [`ReproduceOptions`] so that
/// callers which only reproduce need not name it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CacheMode {
    /// Runs to recompute even when cached.
    pub force: Force,
    /// Render only from the cache; fail listing the missing runs instead of computing them.
    pub collect: bool,
}

/// Which experiments' runs `--force` recomputes (and overwrites in the cache).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Force {
    /// Reuse every cached run.
    #[default]
    Nothing,
    /// Recompute every run of every selected experiment (`--force all`).
    All,
    /// Recompute the runs of these experiments only (not of their dependencies).
    Experiments(Vec<String>),
}

impl Force {
    /// Parses `--force all` or `--force ID[,ID…]`.
    pub fn parse(text: &str) -> Result<Force> {
        if text.trim() == "all" {
            return Ok(Force::All);
        }
        Ok(Force::Experiments(crate::registry::parse_ids(
            text, "--force",
        )?))
    }

    /// Whether the runs of experiment `id` are recomputed.
    pub fn covers(&self, id: &str) -> bool {
        match self {
            Force::Nothing => false,
            Force::All => true,
            Force::Experiments(ids) => ids.iter().any(|i| i == id),
        }
    }

    /// Checks the ids against the registry and against the experiments `selected` by `--only`
    /// (forcing an experiment that is not reproduced would silently do nothing).
    pub fn validate(&self, registry: &Registry, selected: &[&dyn Experiment]) -> Result<()> {
        let Force::Experiments(ids) = self else {
            return Ok(());
        };
        registry.check_ids(ids, "--force")?;
        for id in ids {
            anyhow::ensure!(
                selected.iter().any(|e| e.id() == id),
                "--force {id} names an experiment that --only does not select (nor depends on); add {id} to --only"
            );
        }
        Ok(())
    }
}

/// The runs of one experiment for one profile, with their cache keys.
pub struct PlannedExperiment<'r> {
    /// The experiment.
    pub experiment: &'r dyn Experiment,
    /// Its runs with their hashes, in the order the experiment returned them.
    pub runs: Vec<(RunSpec, String)>,
}

/// Computes every run (and hash) of `experiments`, which must be closed under dependencies
/// and ordered dependencies first. Dependency run hashes become data checksums
/// `run:<experiment>/<label>` of the dependent runs, so a change upstream recomputes downstream.
pub fn plan<'r>(
    experiments: &[&'r dyn Experiment],
    profile: Profile,
) -> Result<Vec<PlannedExperiment<'r>>> {
    let mut planned: Vec<PlannedExperiment<'r>> = Vec::with_capacity(experiments.len());
    for &exp in experiments {
        let mut specs = exp
            .runs(profile)
            .with_context(|| format!("cannot plan the runs of experiment {}", exp.id()))?;
        for spec in &mut specs {
            anyhow::ensure!(
                spec.experiment == exp.id(),
                "experiment {} returned a run labelled '{}' that belongs to experiment '{}'",
                exp.id(),
                spec.label,
                spec.experiment
            );
            for dep in exp.depends_on() {
                let dep_plan = planned
                    .iter()
                    .find(|p| p.experiment.id() == *dep)
                    .with_context(|| {
                        format!(
                            "experiment {} needs {dep}, which was not planned first",
                            exp.id()
                        )
                    })?;
                for (dep_spec, dep_hash) in &dep_plan.runs {
                    spec.data_checksums
                        .insert(format!("run:{dep}/{}", dep_spec.label), dep_hash.clone());
                }
            }
        }
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let mut runs = Vec::with_capacity(specs.len());
        for spec in specs {
            let hash = spec.hash(hashing::SOURCE_HASH);
            if let Some(other) = seen.insert(hash.clone(), spec.label.clone()) {
                anyhow::bail!(
                    "experiment {} has two runs ('{other}' and '{}') with the same config, data and seed; make their configs differ",
                    exp.id(),
                    spec.label
                );
            }
            runs.push((spec, hash));
        }
        planned.push(PlannedExperiment {
            experiment: exp,
            runs,
        });
    }
    Ok(planned)
}

/// Fails, listing every missing run (experiment, label, hash), unless every planned run is
/// in the cache (`--collect`).
pub fn ensure_all_cached(
    plans: &[PlannedExperiment<'_>],
    cache: &RunCache,
    profile: Profile,
) -> Result<()> {
    let missing: Vec<String> = plans
        .iter()
        .flat_map(|p| p.runs.iter().map(move |(spec, hash)| (p, spec, hash)))
        .filter(|(_, _, hash)| cache.load(hash).is_none())
        .map(|(p, spec, hash)| format!("{}/{} ({hash})", p.experiment.id(), spec.label))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 20;
    let more = missing.len().saturating_sub(SHOWN);
    let mut list = missing[..missing.len().min(SHOWN)].join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    anyhow::bail!(
        "--collect found {} of {} runs missing from {}: {list}; execute them with `icnet run HASH --profile {profile} --cache {}` (see `icnet plan`) or drop --collect to compute them here",
        missing.len(),
        plans.iter().map(|p| p.runs.len()).sum::<usize>(),
        cache.root().display(),
        cache.root().display()
    )
}

/// The result of `icnet reproduce`.
#[derive(Debug)]
pub struct ReproduceReport {
    /// Time table of this invocation, dependencies first.
    pub timings: Vec<ExperimentTiming>,
    /// Metrics rendered in this invocation.
    pub metrics: metrics::Metrics,
    /// Number of outputs rendered in this invocation.
    pub outputs: usize,
}

/// Builds the rayon pool for `--jobs`.
pub fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    if jobs == Some(0) {
        anyhow::bail!(
            "--jobs 0 is not a thread count; pass --jobs 1 or more, or omit it to use every core"
        );
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot start {} worker threads: {e}; pass a smaller --jobs",
                jobs.unwrap_or(0)
            )
        })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Executes one run into the cache (or loads it, unless `force`); returns the record and
/// whether it was cached. Also what `icnet run` calls.
#[allow(clippy::too_many_arguments)]
pub fn run_one(
    exp: &dyn Experiment,
    spec: &RunSpec,
    hash: &str,
    cache: &RunCache,
    profile: Profile,
    deps: &DepRuns,
    progress: &Progress,
    force: bool,
) -> Result<(RunRecord, bool)> {
    if !force {
        if let Some(record) = cache.load(hash) {
            return Ok((record, true));
        }
    }
    let pending = cache.begin(hash)?;
    let bar = progress.run_bar(&format!("{}/{}", exp.id(), spec.label));
    let ctx = RunContext::new(profile, pending.dir(), &bar, deps);
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| exp.execute(spec, &ctx)));
    bar.finish();
    let summary = match outcome {
        Ok(result) => result?,
        Err(payload) => anyhow::bail!(
            "it panicked ({}), which is a bug in icnet; please report it",
            panic_message(&*payload)
        ),
    };
    let record = RunRecord {
        format: RECORD_FORMAT,
        hash: hash.to_string(),
        spec: spec.clone(),
        source_hash: hashing::SOURCE_HASH.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        wall_time_s: started.elapsed().as_secs_f64(),
        threads: rayon::current_num_threads(),
        summary,
        files: ctx.files(),
        dir: PathBuf::new(),
    };
    let record = if force {
        pending.finish_replacing(record)?
    } else {
        pending.finish(record)?
    };
    Ok((record, false))
}

/// Runs `icnet reproduce`, reusing every cached run and computing the rest.
pub fn reproduce(
    registry: &Registry,
    opts: &ReproduceOptions,
    progress: &Progress,
) -> Result<ReproduceReport> {
    reproduce_with(registry, opts, &CacheMode::default(), progress)
}

/// Runs `icnet reproduce` with `--force` / `--collect` as given in `mode`.
pub fn reproduce_with(
    registry: &Registry,
    opts: &ReproduceOptions,
    mode: &CacheMode,
    progress: &Progress,
) -> Result<ReproduceReport> {
    let selected = registry.closure(opts.only.as_deref())?;
    let rendered: BTreeSet<&str> = match &opts.only {
        Some(ids) => ids
            .iter()
            .filter_map(|id| registry.get(id))
            .map(|e| e.id())
            .collect(),
        None => registry.ids().into_iter().collect(),
    };
    // Everything that can be checked without touching the disk is checked first, then the
    // directories, then the data (which may take a download), all before any run starts.
    anyhow::ensure!(
        !(mode.collect && mode.force != Force::Nothing),
        "--collect renders from the cache and never computes, so it cannot be combined with --force"
    );
    mode.force.validate(registry, &selected)?;
    let pool = thread_pool(opts.jobs)?;
    let profile = opts.profile;
    let cache = RunCache::new(&opts.cache);
    if mode.collect {
        anyhow::ensure!(
            opts.cache.is_dir(),
            "--cache {} does not exist; --collect renders from a cache filled by `icnet run` (pass that cache's path)",
            opts.cache.display()
        );
    }
    fsutil::ensure_writable_dir(&opts.out, "--out")?;
    if !mode.collect {
        cache.ensure_writable()?;
    }
    // --collect never fetches: planning then names any missing data and how to get it.
    for exp in selected.iter().filter(|_| !mode.collect) {
        exp.prepare(profile)
            .with_context(|| format!("cannot prepare the inputs of experiment {}", exp.id()))?;
    }
    let plans = plan(&selected, profile)?;
    if mode.collect {
        ensure_all_cached(&plans, &cache, profile)?;
    } else {
        // Leftovers of killed processes: temporary run directories and files.
        cache.sweep_stale();
    }
    fsutil::sweep_stale_temps(&opts.out, 1);
    let provenance = Provenance::collect();

    let mut finished: BTreeMap<&'static str, Vec<RunRecord>> = BTreeMap::new();
    let mut timings = Vec::new();
    let mut rendered_now: Vec<(ExperimentProvenance, Vec<crate::output::OutputEntry>)> = Vec::new();
    let mut new_metrics = metrics::Metrics::new();

    for planned in &plans {
        let exp = planned.experiment;
        let started = Instant::now();
        let deps: DepRuns = exp
            .depends_on()
            .iter()
            .filter_map(|d| finished.get(d).map(|runs| (*d, runs.clone())))
            .collect();
        let bar = progress.runs_bar(exp.id(), planned.runs.len() as u64);
        let results: Vec<Result<(RunRecord, bool, f64)>> = pool.install(|| {
            planned
                .runs
                .par_iter()
                .map(|(spec, hash)| {
                    let t0 = Instant::now();
                    let force = mode.force.covers(exp.id());
                    let result = (if mode.collect {
                        // Never compute, even if an entry vanished after the check above.
                        cache
                            .load(hash)
                            .map(|r| (r, true))
                            .with_context(|| format!("run {hash} left the cache during --collect"))
                    } else {
                        run_one(exp, spec, hash, &cache, profile, &deps, progress, force)
                    })
                    .with_context(|| {
                        format!("experiment {}, run '{}' failed", exp.id(), spec.label)
                    });
                    bar.inc(1);
                    let secs = t0.elapsed().as_secs_f64();
                    if let Ok((record, cached)) = &result {
                        let what = if *cached { "reused" } else { "executed" };
                        progress.log(format!(
                            "{}: run '{}' {what} in {secs:.2} s ({})",
                            exp.id(),
                            spec.label,
                            record.dir.display()
                        ));
                    }
                    result.map(|(record, cached)| (record, cached, secs))
                })
                .collect()
        });
        bar.finish_and_clear();
        let mut records = Vec::with_capacity(results.len());
        let (mut cached, mut executed, mut run_time) = (0, 0, 0.0);
        let total = results.len();
        let (oks, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
        if let Some(Err(first)) = errors.into_iter().next().map(|e| e.map(|_| ())) {
            let failed = total - oks.len();
            if failed > 1 {
                return Err(first.context(format!(
                    "{failed} of {total} runs of experiment {} failed (finished runs are cached; the first failure follows)",
                    exp.id()
                )));
            }
            return Err(first);
        }
        for result in oks {
            let (record, was_cached, secs) = result?;
            if was_cached {
                cached += 1;
            } else {
                executed += 1;
                run_time += secs;
            }
            records.push(record);
        }
        let compute_time: f64 = records.iter().map(|r| r.wall_time_s).sum();
        let mut render_time = 0.0;

        if rendered.contains(exp.id()) {
            let render_start = Instant::now();
            let writer = OutputWriter::new(&opts.out, exp.id(), profile, exp.profile_invariant());
            let ctx = RenderContext {
                profile,
                runs: &records,
                deps: &deps,
            };
            let output = pool
                .install(|| exp.render(&ctx, &writer))
                .with_context(|| format!("cannot render the outputs of experiment {}", exp.id()))?;
            render_time = render_start.elapsed().as_secs_f64();
            let mut names = BTreeSet::new();
            for entry in &output.outputs {
                anyhow::ensure!(
                    names.insert(entry.name.clone()),
                    "experiment {} wrote two outputs named {}",
                    exp.id(),
                    entry.name
                );
            }
            for (name, value) in &output.metrics {
                new_metrics.insert(metrics::metric_key(exp.id(), name, *value)?, *value);
            }
            let mut seeds: Vec<u64> = records.iter().map(|r| r.spec.seed).collect();
            seeds.sort_unstable();
            seeds.dedup();
            let configs =
                serde_json::Value::Array(records.iter().map(|r| r.spec.config.clone()).collect());
            // Inputs known before the run (its spec) and data the run built itself (reported
            // in its summary under `data_checksums`, e.g. a composed data set).
            let data_checksums = records
                .iter()
                .flat_map(|r| {
                    let built = r
                        .summary
                        .get("data_checksums")
                        .and_then(serde_json::Value::as_object)
                        .into_iter()
                        .flatten()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())));
                    r.spec.data_checksums.clone().into_iter().chain(built)
                })
                .collect();
            rendered_now.push((
                ExperimentProvenance {
                    id: exp.id().to_string(),
                    paper_ref: exp.paper_ref().to_string(),
                    profile: profile.name().to_string(),
                    seeds,
                    config_hash: hashing::json_hash(&configs),
                    run_hashes: records.iter().map(|r| r.hash.clone()).collect(),
                    data_checksums,
                    wall_time_s: compute_time + render_time,
                },
                output.outputs,
            ));
        }
        timings.push(ExperimentTiming {
            id: exp.id().to_string(),
            paper_ref: exp.paper_ref().to_string(),
            profile: profile.name().to_string(),
            rendered: rendered.contains(exp.id()),
            runs: records.len(),
            cached,
            executed,
            run_time_s: run_time,
            compute_time_s: compute_time,
            render_time_s: render_time,
            total_time_s: started.elapsed().as_secs_f64(),
        });
        finished.insert(exp.id(), records);
    }

    let outputs_now: usize = rendered_now.iter().map(|(_, o)| o.len()).sum();
    write_summary_files(
        registry,
        opts,
        &provenance,
        &rendered_now,
        &new_metrics,
        &timings,
        progress,
    )?;
    Ok(ReproduceReport {
        timings,
        metrics: new_metrics,
        outputs: outputs_now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::manifest;
    use crate::output::{Cell, Table};
    use crate::registry::Rendered;
    use serde_json::{json, Value};

    /// `base` has three seeded runs; seed 13 fails and seed 14 panics when `broken`.
    struct Base {
        broken: bool,
    }

    impl Experiment for Base {
        fn id(&self) -> &'static str {
            "base"
        }
        fn paper_ref(&self) -> &'static str {
            "Fig. 0"
        }
        fn title(&self) -> &'static str {
            "base"
        }
        fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
            let mut seeds = vec![1, 2, 3];
            if self.broken {
                seeds.extend([13, 14]);
            }
            Ok(seeds
                .into_iter()
                .map(|s| {
                    RunSpec::new(
                        "base",
                        format!("seed{s}"),
                        json!({"n": 10, "profile": profile.name()}),
                        s,
                    )
                })
                .collect())
        }
        fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
            match run.seed {
                13 => anyhow::bail!("seed 13 is unlucky"),
                14 => panic!("seed 14 panics"),
                _ => {}
            }
            ctx.write_json("values.json", &vec![run.seed as f64; 3])?;
            Ok(json!({"value": run.seed as f64 * 2.0}))
        }
        fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
            let mut table = Table::new(["seed", "value"]);
            for r in ctx.runs {
                table.push_row(vec![
                    Cell::Int(r.spec.seed as i64),
                    Cell::float(r.summary_f64("value")?, 1),
                ])?;
            }
            Ok(Rendered {
                outputs: vec![out.table("base_values", "Values", &table)?],
                metrics: vec![("runs".into(), ctx.runs.len() as f64)],
            })
        }
    }

    /// `top` needs `base`'s runs, both to execute and to render.
    struct Top;

    impl Experiment for Top {
        fn id(&self) -> &'static str {
            "top"
        }
        fn paper_ref(&self) -> &'static str {
            "Table 1"
        }
        fn title(&self) -> &'static str {
            "top"
        }
        fn depends_on(&self) -> &'static [&'static str] {
            &["base"]
        }
        fn runs(&self, _: Profile) -> Result<Vec<RunSpec>> {
            Ok(vec![RunSpec::new("top", "sum", json!({}), 0)])
        }
        fn execute(&self, _: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
            let base = &ctx.deps["base"];
            let mut sum = 0.0;
            for r in base {
                sum += r.summary_f64("value")?;
                sum += r.read_json::<Vec<f64>>("values.json")?.iter().sum::<f64>();
            }
            Ok(json!({"sum": sum}))
        }
        fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
            anyhow::ensure!(ctx.deps["base"].len() == 3);
            let mut table = Table::new(["sum"]);
            table.push_row(vec![Cell::float(ctx.runs[0].summary_f64("sum")?, 1)])?;
            Ok(Rendered {
                outputs: vec![out.table("top", "Sum", &table)?],
                metrics: vec![("sum".into(), ctx.runs[0].summary_f64("sum")?)],
            })
        }
    }

    fn registry(broken: bool) -> Registry {
        Registry::new(vec![Box::new(Top), Box::new(Base { broken })]).unwrap()
    }

    fn options(dir: &std::path::Path, only: Option<&str>) -> ReproduceOptions {
        ReproduceOptions {
            profile: Profile::Smoke,
            only: only.map(|o| crate::registry::parse_only(o).unwrap()),
            out: dir.join("out"),
            cache: dir.join("cache"),
            jobs: Some(2),
            command: vec!["test".into()],
        }
    }

    fn cache_entries(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn only_runs_dependencies_but_renders_the_selection_and_merges_later_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = registry(false);
        let report = reproduce(
            &registry,
            &options(tmp.path(), Some("top")),
            &Progress::hidden(),
        )
        .unwrap();
        // (2 + 1 + 2·1·... ) sum over seeds 1..3 of 2s + 3s = 5 · 6 = 30.
        assert_eq!(report.metrics.get("top.sum"), Some(&30.0));
        assert!(
            !report.metrics.contains_key("base.runs"),
            "base not rendered"
        );
        assert_eq!(
            report
                .timings
                .iter()
                .map(|t| (t.id.as_str(), t.rendered, t.executed))
                .collect::<Vec<_>>(),
            vec![("base", false, 3), ("top", true, 1)]
        );
        assert_eq!(cache_entries(tmp.path()).len(), 4);
        assert!(!tmp.path().join("out/tables/base_values.csv").exists());

        // The dependency's run hashes are part of the dependent run's key.
        let all: Vec<_> = registry.all().collect();
        let plans = plan(&all, Profile::Smoke).unwrap();
        let top = &plans[1].runs[0].0;
        assert_eq!(top.data_checksums.len(), 3);
        assert_eq!(top.data_checksums["run:base/seed1"], plans[0].runs[0].1);

        // Rendering base later keeps top's outputs and metrics, and reuses every run.
        let report = reproduce(
            &registry,
            &options(tmp.path(), Some("base")),
            &Progress::hidden(),
        )
        .unwrap();
        assert_eq!(report.timings[0].cached, 3);
        let metrics = metrics::read(&tmp.path().join("out/metrics.json"));
        assert_eq!(
            metrics.keys().collect::<Vec<_>>(),
            vec!["base.runs", "top.sum"]
        );
        let manifest = manifest::read(&tmp.path().join("out/manifest.json")).unwrap();
        let names: Vec<_> = manifest.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, vec!["base_values", "top"], "registry order");
        assert_eq!(manifest.outputs[1].data_checksums.len(), 3);
        let index = std::fs::read_to_string(tmp.path().join("out/index.md")).unwrap();
        assert!(index.contains("## base (Fig. 0)") && index.contains("## top (Table 1)"));

        // Another profile into the same directory replaces rather than mixes.
        let mut quick = options(tmp.path(), Some("base"));
        quick.profile = Profile::Quick;
        reproduce(&registry, &quick, &Progress::hidden()).unwrap();
        let manifest = manifest::read(&tmp.path().join("out/manifest.json")).unwrap();
        assert!(manifest.outputs.iter().all(|o| o.profile == "quick"));
        assert_eq!(metrics::read(&tmp.path().join("out/metrics.json")).len(), 1);
    }

    #[test]
    fn failing_and_panicking_runs_are_errors_and_leave_no_finished_run() {
        let tmp = tempfile::tempdir().unwrap();
        let err = reproduce(
            &registry(true),
            &options(tmp.path(), Some("base")),
            &Progress::hidden(),
        )
        .unwrap_err();
        let message = crate::cli::one_line(&err);
        assert!(
            message.contains("2 of 5 runs of experiment base failed"),
            "{message}"
        );
        assert!(
            message.contains("run 'seed13' failed: seed 13 is unlucky"),
            "{message}"
        );
        // The panic of seed 14 became an error, not a crash.
        let base = Base { broken: true };
        let spec = base.runs(Profile::Smoke).unwrap().pop().unwrap();
        let cache = RunCache::new(tmp.path().join("cache"));
        let deps = DepRuns::new();
        let err = run_one(
            &base,
            &spec,
            "h14",
            &cache,
            Profile::Smoke,
            &deps,
            &Progress::hidden(),
            false,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("panicked (seed 14 panics)"),
            "{err}"
        );
        assert!(!cache.contains("h14"));
        // The good runs are kept for the next attempt; the bad ones left nothing behind.
        let entries = cache_entries(tmp.path());
        assert_eq!(entries.len(), 3, "{entries:?}");
        assert!(entries.iter().all(|e| !e.contains(".tmp-")));
        assert!(
            !tmp.path().join("out/metrics.json").exists(),
            "no summary for a failed reproduce"
        );
    }
}
