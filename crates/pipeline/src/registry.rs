//! The experiment registry (showyourwork style): every figure and table is produced by one
//! registered [`Experiment`] from cached runs.
//!
//! An experiment declares its paper figure/table, the experiments whose runs it needs, its runs
//! for a [`Profile`], how to execute one run, and how to render figures, tables and metrics from
//! the finished runs. The pipeline ([`crate::reproduce`]) owns caching, parallelism, progress
//! and the output contract; experiments only compute and draw.

use crate::output::{OutputEntry, OutputWriter};
use crate::profile::Profile;
use crate::progress::RunProgress;
use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One unit of cached work: everything that determines its result.
///
/// The run hash is SHA-256 over (code version, `experiment`, canonical `config`,
/// `data_checksums`, `seed`); `label` is descriptive only and not hashed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Id of the experiment that owns the run.
    pub experiment: String,
    /// Human-readable name of the run within its experiment (e.g. `"lif-fc/seed3"`).
    pub label: String,
    /// Every parameter of the run; must determine the result together with seed and data.
    pub config: Value,
    /// Seed of every random draw in the run.
    pub seed: u64,
    /// SHA-256 of every input file (name → hex digest); the pipeline adds the hashes of the
    /// dependency runs as `run:<experiment>/<label>`.
    pub data_checksums: BTreeMap<String, String>,
}

impl RunSpec {
    /// A run of `experiment` with the given label, config and seed, and no input data.
    pub fn new(experiment: &str, label: impl Into<String>, config: Value, seed: u64) -> Self {
        RunSpec {
            experiment: experiment.to_string(),
            label: label.into(),
            config,
            seed,
            data_checksums: BTreeMap::new(),
        }
    }

    /// Adds the checksum of one input file.
    pub fn with_data_checksum(
        mut self,
        name: impl Into<String>,
        sha256: impl Into<String>,
    ) -> Self {
        self.data_checksums.insert(name.into(), sha256.into());
        self
    }

    /// The cache key of this run under the given code version.
    pub fn hash(&self, source_hash: &str) -> String {
        crate::hashing::run_hash(
            source_hash,
            &self.experiment,
            &self.config,
            &self.data_checksums,
            self.seed,
        )
    }
}

/// A finished run as stored in `<cache>/<hash>/record.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    /// Layout version of this record.
    pub format: u32,
    /// The run hash (also the name of its cache directory).
    pub hash: String,
    /// What was run.
    pub spec: RunSpec,
    /// Code version that produced the run.
    pub source_hash: String,
    /// `icnet` version that produced the run.
    pub tool_version: String,
    /// Wall time of the run's execution in seconds (as first computed, even when reused).
    pub wall_time_s: f64,
    /// Size of the rayon thread pool the run executed in.
    pub threads: usize,
    /// Small headline results returned by [`Experiment::execute`]. An object under the key
    /// `data_checksums` (name → SHA-256) names data the run built itself; it joins the
    /// manifest's data checksums.
    pub summary: Value,
    /// Artefact files the run wrote into its directory.
    pub files: Vec<String>,
    /// The run's cache directory (not stored; set when loaded).
    #[serde(skip)]
    pub dir: PathBuf,
}

impl RunRecord {
    /// Path of an artefact of this run.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads a JSON artefact written by [`RunContext::write_json`].
    pub fn read_json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        let path = self.path(name);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read run artefact {}: {e}; delete the run directory {} to recompute it",
                path.display(),
                self.dir.display()
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "run artefact {} is not valid ({e}); delete the run directory {} to recompute it",
                path.display(),
                self.dir.display()
            )
        })
    }

    /// A number from the run's summary, by key.
    pub fn summary_f64(&self, key: &str) -> Result<f64> {
        self.summary
            .get(key)
            .and_then(Value::as_f64)
            .with_context(|| {
                format!(
                    "run {} of {} has no number '{key}' in its summary; delete {} to recompute it",
                    self.spec.label,
                    self.spec.experiment,
                    self.dir.display()
                )
            })
    }
}

/// Finished runs of the dependencies of an experiment, by experiment id, in spec order.
pub type DepRuns = BTreeMap<&'static str, Vec<RunRecord>>;

/// What [`Experiment::execute`] gets: where to write artefacts, progress, dependency runs.
pub struct RunContext<'a> {
    /// The profile being reproduced.
    pub profile: Profile,
    /// Temporary directory of the run; it becomes `<cache>/<hash>/` when the run succeeds.
    pub dir: &'a Path,
    /// Per-run progress bar; call [`RunProgress::set_total`] and [`RunProgress::inc`].
    pub progress: &'a RunProgress,
    /// Finished runs of the experiments listed in [`Experiment::depends_on`].
    pub deps: &'a DepRuns,
    files: Mutex<Vec<String>>,
}

impl<'a> RunContext<'a> {
    /// Creates a context writing into `dir`.
    pub fn new(
        profile: Profile,
        dir: &'a Path,
        progress: &'a RunProgress,
        deps: &'a DepRuns,
    ) -> Self {
        RunContext {
            profile,
            dir,
            progress,
            deps,
            files: Mutex::new(Vec::new()),
        }
    }

    /// Writes a JSON artefact into the run directory (atomically).
    pub fn write_json<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<()> {
        crate::fsutil::write_json_atomic(&self.dir.join(name), value)?;
        self.note(name);
        Ok(())
    }

    /// Writes a raw artefact (e.g. CSV) into the run directory (atomically).
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> Result<()> {
        crate::fsutil::write_atomic(&self.dir.join(name), bytes)?;
        self.note(name);
        Ok(())
    }

    fn note(&self, name: &str) {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if !files.iter().any(|f| f == name) {
            files.push(name.to_string());
        }
    }

    /// Where a long run keeps its checkpoint: `<cache>/checkpoints/<hash>.ck`, outside the
    /// temporary run directory (which a restarted process replaces), so a killed run resumes
    /// from its last checkpoint. The run deletes it when it finishes.
    pub fn checkpoint_path(&self) -> PathBuf {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hash = name.split(".tmp-").next().unwrap_or(&name).to_string();
        let cache = self.dir.parent().unwrap_or(Path::new("."));
        cache
            .join(crate::cache::CHECKPOINTS_DIR)
            .join(format!("{hash}.ck"))
    }

    /// Names of the artefacts written so far, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner()).clone();
        files.sort();
        files
    }
}

/// What [`Experiment::render`] gets.
pub struct RenderContext<'a> {
    /// The profile being reproduced.
    pub profile: Profile,
    /// This experiment's finished runs, in the order [`Experiment::runs`] returned them.
    pub runs: &'a [RunRecord],
    /// Finished runs of the dependencies.
    pub deps: &'a DepRuns,
}

/// What [`Experiment::render`] returns: the outputs written and the headline numbers.
#[derive(Debug, Default)]
pub struct Rendered {
    /// Figures and tables written through the [`OutputWriter`].
    pub outputs: Vec<OutputEntry>,
    /// Headline numbers as `(metric, value)`; the pipeline names them `"<experiment>.<metric>"`
    /// in `metrics.json`. Metric names use `[a-z0-9_]`; values must be finite.
    pub metrics: Vec<(String, f64)>,
}

/// One registered experiment. See the crate docs and `experiments/fig2.rs` for an example.
///
/// Contract: [`runs`](Experiment::runs) is cheap (it is called by `icnet list` for every
/// profile); [`execute`](Experiment::execute) is deterministic given the spec (all randomness
/// from `run.seed`) and may run in parallel with other runs of any experiment;
/// [`render`](Experiment::render) reads only finished runs and writes only through the writer.
pub trait Experiment: Send + Sync {
    /// Short id, used on the command line (`--only fig2`) and as the prefix of output names.
    fn id(&self) -> &'static str;
    /// The paper figure or table regenerated, e.g. `"Fig. 2"`.
    fn paper_ref(&self) -> &'static str;
    /// One-line description for `icnet list` and `index.md`.
    fn title(&self) -> &'static str;
    /// Experiments whose finished runs this one needs (in `execute` or `render`).
    fn depends_on(&self) -> &'static [&'static str] {
        &[]
    }
    /// True when the experiment runs the same work in every profile; captions say so instead
    /// of quoting the profile's scale.
    fn profile_invariant(&self) -> bool {
        false
    }
    /// Makes the experiment's inputs available (e.g. fetches missing raw data). Called by
    /// `reproduce` before [`runs`](Experiment::runs); `list` does not call it, so listing never
    /// downloads anything.
    fn prepare(&self, _profile: Profile) -> Result<()> {
        Ok(())
    }
    /// Rough wall time of one run on one core, in seconds, for `icnet plan` (scheduler time
    /// limits and load balancing). The default is a per-profile guess
    /// ([`default_estimated_seconds`]), not a measurement; experiments override it with their
    /// measured times.
    fn estimated_seconds(&self, profile: Profile, _run: &RunSpec) -> f64 {
        default_estimated_seconds(profile)
    }
    /// The runs needed for `profile`. Fails only when inputs are missing (e.g. a data file).
    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>>;
    /// Executes one run, writing artefacts through `ctx`, and returns its small summary.
    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value>;
    /// Renders figures, tables and metrics from the finished runs.
    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered>;
}

/// The guess behind the default [`Experiment::estimated_seconds`]: 10 s per run for smoke,
/// 5 minutes for quick, 4 hours for paper. Deliberately generous, since a scheduler kills a
/// task that overruns its time limit.
pub fn default_estimated_seconds(profile: Profile) -> f64 {
    match profile {
        Profile::Smoke => 10.0,
        Profile::Quick => 300.0,
        Profile::Paper => 4.0 * 3600.0,
    }
}

/// The set of experiments, in a dependency-respecting order.
pub struct Registry {
    experiments: Vec<Box<dyn Experiment>>,
}

impl Registry {
    /// Builds a registry, checking that ids are unique, dependencies exist and do not cycle.
    /// The stored order is topological (dependencies first), ties broken by the given order.
    pub fn new(experiments: Vec<Box<dyn Experiment>>) -> Result<Self> {
        let mut ids = BTreeSet::new();
        for exp in &experiments {
            anyhow::ensure!(
                ids.insert(exp.id()),
                "experiment id '{}' is registered twice",
                exp.id()
            );
        }
        for exp in &experiments {
            for dep in exp.depends_on() {
                anyhow::ensure!(
                    ids.contains(dep),
                    "experiment '{}' depends on unknown experiment '{dep}'",
                    exp.id()
                );
            }
        }
        let mut remaining = experiments;
        let mut ordered: Vec<Box<dyn Experiment>> = Vec::with_capacity(remaining.len());
        while !remaining.is_empty() {
            let ready = remaining.iter().position(|exp| {
                exp.depends_on()
                    .iter()
                    .all(|dep| ordered.iter().any(|done| done.id() == *dep))
            });
            match ready {
                Some(i) => ordered.push(remaining.remove(i)),
                None => {
                    let stuck: Vec<_> = remaining.iter().map(|e| e.id()).collect();
                    anyhow::bail!(
                        "experiments {} depend on each other in a cycle",
                        stuck.join(", ")
                    );
                }
            }
        }
        Ok(Registry {
            experiments: ordered,
        })
    }

    /// Every experiment, dependencies first.
    pub fn all(&self) -> impl Iterator<Item = &dyn Experiment> {
        self.experiments.iter().map(|e| e.as_ref())
    }

    /// Every id, dependencies first.
    pub fn ids(&self) -> Vec<&'static str> {
        self.all().map(|e| e.id()).collect()
    }

    /// The experiment with this id.
    pub fn get(&self, id: &str) -> Option<&dyn Experiment> {
        self.all().find(|e| e.id() == id)
    }

    /// Checks that every id names an experiment; the error names `flag` (e.g. `--force`) and
    /// lists the known ids.
    pub fn check_ids(&self, ids: &[String], flag: &str) -> Result<()> {
        for id in ids {
            anyhow::ensure!(
                self.get(id).is_some(),
                "unknown experiment '{id}' in {flag}; known experiments are {} (see `icnet list`)",
                self.ids().join(", ")
            );
        }
        Ok(())
    }

    /// Checks requested ids and returns them with everything they transitively depend on,
    /// dependencies first. `None` selects every experiment.
    pub fn closure(&self, requested: Option<&[String]>) -> Result<Vec<&dyn Experiment>> {
        let Some(requested) = requested else {
            return Ok(self.all().collect());
        };
        self.check_ids(requested, "--only")?;
        let mut wanted = BTreeSet::new();
        let mut stack: Vec<&str> = requested
            .iter()
            .filter_map(|id| self.get(id))
            .map(|e| e.id())
            .collect();
        while let Some(id) = stack.pop() {
            if wanted.insert(id) {
                if let Some(exp) = self.get(id) {
                    stack.extend(exp.depends_on().iter().copied());
                }
            }
        }
        Ok(self.all().filter(|e| wanted.contains(e.id())).collect())
    }
}

/// Parses `--only a,b,c` into ids, rejecting empty entries.
pub fn parse_only(list: &str) -> Result<Vec<String>> {
    parse_ids(list, "--only")
}

/// Parses a comma-separated id list given with `flag`, rejecting empty entries.
pub fn parse_ids(list: &str, flag: &str) -> Result<Vec<String>> {
    let ids: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
    anyhow::ensure!(
        !ids.iter().any(String::is_empty),
        "{flag} '{list}' has an empty entry; give experiment ids separated by commas, e.g. {flag} fig2"
    );
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(&'static str, &'static [&'static str]);

    impl Experiment for Fake {
        fn id(&self) -> &'static str {
            self.0
        }
        fn paper_ref(&self) -> &'static str {
            "test"
        }
        fn title(&self) -> &'static str {
            "fake"
        }
        fn depends_on(&self) -> &'static [&'static str] {
            self.1
        }
        fn runs(&self, _: Profile) -> Result<Vec<RunSpec>> {
            Ok(vec![])
        }
        fn execute(&self, _: &RunSpec, _: &RunContext<'_>) -> Result<Value> {
            Ok(Value::Null)
        }
        fn render(&self, _: &RenderContext<'_>, _: &OutputWriter) -> Result<Rendered> {
            Ok(Rendered::default())
        }
    }

    fn registry() -> Registry {
        // Deliberately registered out of dependency order.
        Registry::new(vec![
            Box::new(Fake("d", &["b", "c"])),
            Box::new(Fake("b", &["a"])),
            Box::new(Fake("a", &[])),
            Box::new(Fake("c", &[])),
            Box::new(Fake("e", &[])),
        ])
        .unwrap()
    }

    fn ids(list: Vec<&dyn Experiment>) -> Vec<&'static str> {
        list.into_iter().map(|e| e.id()).collect()
    }

    #[test]
    fn registry_orders_dependencies_first() {
        assert_eq!(registry().ids(), vec!["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn closure_adds_transitive_dependencies_in_order() {
        let r = registry();
        assert_eq!(
            ids(r.closure(Some(&["d".into()])).unwrap()),
            vec!["a", "b", "c", "d"]
        );
        assert_eq!(
            ids(r.closure(Some(&["b".into(), "e".into()])).unwrap()),
            vec!["a", "b", "e"]
        );
        assert_eq!(
            ids(r.closure(Some(&["a".into(), "a".into()])).unwrap()),
            vec!["a"]
        );
        assert_eq!(ids(r.closure(None).unwrap()).len(), 5);
    }

    #[test]
    fn unknown_id_lists_the_known_ones_in_one_line() {
        let err = registry()
            .closure(Some(&["zz".into()]))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("'zz'") && err.contains("a, b, c, d, e"),
            "{err}"
        );
        assert!(!err.contains('\n'));
    }

    #[test]
    fn cycles_duplicates_and_missing_dependencies_are_rejected() {
        let cyc = Registry::new(vec![
            Box::new(Fake("x", &["y"])),
            Box::new(Fake("y", &["x"])),
        ]);
        assert!(cyc.err().unwrap().to_string().contains("cycle"));
        let dup = Registry::new(vec![Box::new(Fake("x", &[])), Box::new(Fake("x", &[]))]);
        assert!(dup.is_err());
        let missing = Registry::new(vec![Box::new(Fake("x", &["nope"]))]);
        assert!(missing.err().unwrap().to_string().contains("nope"));
    }

    #[test]
    fn parse_only_splits_and_rejects_empty_entries() {
        assert_eq!(parse_only("fig2, fig3").unwrap(), vec!["fig2", "fig3"]);
        assert!(parse_only("fig2,,fig3").is_err());
        assert!(parse_only("").is_err());
    }
}
