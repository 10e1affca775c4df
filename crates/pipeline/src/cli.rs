//! The clap front end of `icnet`: parses arguments, dispatches to the commands, and turns
//! every failure into one sentence on stderr with a non-zero exit code.

use crate::commands;
use crate::commands::run::RunTarget;
use crate::profile::Profile;
use crate::registry::parse_only;
use crate::reproduce::{CacheMode, Force, ReproduceOptions};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  icnet reproduce                        regenerate everything (profile quick) into paper/
  icnet reproduce --profile smoke        a quick sanity run into results/smoke/
  icnet reproduce --only fig2 --jobs 2   just Fig. 2 (and what it depends on), 2 threads
  icnet list                             experiments, the figure each makes, cache status
  icnet reproduce --force fig2           recompute Fig. 2's runs even though they are cached
  icnet plan --profile paper > plan.json the run list, to spread over a scheduler
  icnet plan --profile paper --emit slurm --out submit.sh   SLURM job arrays (then `bash submit.sh`)
  icnet run HASH --profile paper         execute one run of the plan into the shared cache
  icnet reproduce --collect              render from a cache filled by `icnet run` workers
  icnet verify paper                     is paper/ the output of the current code?
  icnet simulate --model hh-1952 --stimulus sine --dt 0.01 --ms 80 --out results/sim
  icnet bench hh --neurons 10000 --ms 100 --dt 0.01 --threads 2
  icnet data build --train 120000 --test 20000   build the Multi-MNIST family into data/built/
  icnet env replay                       check the pendulum port against gymnasium";

/// Regenerates the figures and tables of He et al. (2024), "Network model with internal
/// complexity bridges artificial intelligence and neuroscience".
#[derive(Debug, Parser)]
#[command(
    name = "icnet",
    version,
    about = "Regenerate the figures and tables of He et al. (2024), \"Network model with internal \
             complexity bridges artificial intelligence and neuroscience\".",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run (or reuse from the cache) the experiments and write figures, tables, index.md,
    /// manifest.json and metrics.json.
    #[command(after_help = "\
Examples:
  icnet reproduce                               profile quick into paper/
  icnet reproduce --profile smoke --out /tmp/s  the CI sanity run
  icnet reproduce --only fig2                   Fig. 2 only (dependencies are run or reused)
  icnet reproduce --profile paper --jobs 2      full reference settings on 2 threads
  icnet reproduce --force fig2,fig3d            recompute those experiments' runs on purpose
  icnet reproduce --force all                   recompute every run
  icnet reproduce --profile paper --collect --cache /shared/runs
                                                render from runs made by `icnet run` workers

Finished runs are cached under --cache keyed by code version, config, data and seed, so an
interrupted reproduce resumes where it stopped. Ids, thread count, --out, --cache and the data
are checked before any run starts.")]
    Reproduce(ReproduceArgs),
    /// Print the run list of a profile (JSON: hash, experiment, label, stage, estimated
    /// seconds, command) or a SLURM job-array script that executes it with `icnet run`.
    #[command(after_help = "\
Examples:
  icnet plan --profile paper                           JSON run list on stdout
  icnet plan --profile paper --only fig4c --cache /shared/runs > plan.json
  icnet plan --profile paper --emit slurm --cache /shared/runs --plan-file plan.json --out submit.sh
Each run's command is `icnet run HASH --profile P --experiment ID --cache DIR`. The SLURM script
submits one job array per dependency stage (stage K+1 waits for stage K with
--dependency=afterok), each task running one run of the plan file, then one job that renders
with `icnet reproduce --collect`. Estimated seconds are the experiments' own estimates where they
give one, otherwise a per-profile default (10 s smoke, 300 s quick, 4 h paper).")]
    Plan(PlanArgs),
    /// Execute exactly one run, by hash (from `icnet plan`), into the shared run cache.
    #[command(after_help = "\
Examples:
  icnet run 3f2a…c9 --profile paper --cache /shared/runs
  icnet run 3f2a…c9 --profile paper --experiment fig4c --cache /shared/runs --jobs 4
  icnet run --plan plan.json --stage 0 --index 5 --profile paper --cache /shared/runs
The run is written atomically; two workers racing on one hash both end with a valid entry. A run
whose experiment depends on another needs that experiment's runs in the cache first.")]
    Run(RunArgs),
    /// Check that an output directory (e.g. the committed paper/) is the output of the current
    /// code: code version, every experiment present, file checksums, index.md up to date.
    #[command(after_help = "\
Examples:
  icnet verify                 checks paper/
  icnet verify results/smoke
Exits non-zero with the list of problems, each with the command that fixes it.")]
    Verify(VerifyArgs),
    /// List the experiments, the paper figure or table each regenerates, its dependencies and
    /// whether its runs are cached for each profile.
    #[command(after_help = "Example:\n  icnet list --cache results/runs")]
    List(ListArgs),
    /// Control environments: replay gymnasium reference episodes with the Rust port of the
    /// inverted-pendulum tasks.
    #[command(subcommand_required = true)]
    Env(commands::env::EnvArgs),
    /// Simulate one neuron and write MODEL.csv, MODEL_spikes.csv and MODEL.svg/.png (plot of V).
    #[command(after_help = "\
Examples:
  icnet simulate --model hh-modern --stimulus constant:amp=10 --dt 0.001 --ms 80 --out results/sim
  icnet simulate --model tvlif2hh --stimulus sine --integrator rk4 --dt 0.01 --ms 80 --out results/sim
  icnet simulate --model slif2hh --stimulus noise:mean=10,sd=2,seed=3 --dt 1 --ms 80 --out results/sim

Models: hh-1952, hh-modern, lif, lif-discrete, tvlif, tvlif2hh, tvlif2hh-driven, slif2hh.
Stimuli: <shape>[:key=value,...] with shape constant, step, sine, square, sawtooth, triangle, noise.
Integrators: euler, rk4, exp-euler.")]
    Simulate(SimulateArgs),
    /// Measure simulation and training speed.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Build the Multi-MNIST-family data sets from the raw data fetched by `just data`.
    #[command(subcommand)]
    Data(DataCommand),
}

/// `icnet data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Build (or read from the cache) Multi-MNIST, Multi-Fashion and Multi-(Fashion+MNIST);
    /// prints a JSON summary (kind, sizes, checksum, source, cache file).
    #[command(after_help = "\
Examples:
  icnet data build                                  reference sizes 120000/20000, seed 0
  icnet data build --train 2000 --test 500 --seed 3 --kinds multi-mnist

Raw sources come from data/raw (run `just data` first); built sets are cached as
data/built/<kind>-<ntrain>-<ntest>-seed<seed>.bin. See data/README.md.")]
    Build(DataBuildArgs),
    /// Check that the raw sources are present under DIR/raw.
    Check {
        /// Data directory.
        #[arg(long, value_name = "DIR", default_value = "data")]
        dir: PathBuf,
    },
}

/// Arguments of `icnet data build`.
#[derive(Debug, Args)]
pub struct DataBuildArgs {
    /// Data directory (raw sources in DIR/raw, caches in DIR/built).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub dir: PathBuf,
    /// Training composites per data set.
    #[arg(long, value_name = "N", default_value_t = icnet_data::REFERENCE_TRAIN)]
    pub train: usize,
    /// Test composites per data set.
    #[arg(long, value_name = "N", default_value_t = icnet_data::REFERENCE_TEST)]
    pub test: usize,
    /// Seed of the composition draws.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Data sets: comma-separated ids (multi-mnist, multi-fashion, multi-fashion-mnist) or all.
    #[arg(long, value_name = "ID,ID…", default_value = "all")]
    pub kinds: String,
}

/// Arguments of `icnet reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Profile: smoke (CI sanity check), quick (scaled down to minutes on 2 cores) or paper (reference settings).
    #[arg(long, default_value = "quick", value_name = "PROFILE")]
    pub profile: String,
    /// Only these experiments (comma-separated ids, see `icnet list`); their dependencies are run or reused too.
    #[arg(long, value_name = "ID,ID…")]
    pub only: Option<String>,
    /// Output directory [default: paper for quick and paper, results/smoke for smoke].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Worker threads [default: every core].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Run cache directory.
    #[arg(long, value_name = "DIR", default_value = "results/runs")]
    pub cache: PathBuf,
    /// Recompute (and overwrite in the cache) the runs of these experiments even when cached:
    /// comma-separated ids, or `all`.
    #[arg(long, value_name = "ID,ID…|all")]
    pub force: Option<String>,
    /// Render only from the cache (filled by `icnet run` workers); fail listing the missing
    /// runs instead of computing them.
    #[arg(long, conflicts_with = "force")]
    pub collect: bool,
}

/// Arguments of `icnet plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Profile: smoke, quick or paper.
    #[arg(long, default_value = "quick", value_name = "PROFILE")]
    pub profile: String,
    /// Only these experiments (comma-separated ids) and their dependencies.
    #[arg(long, value_name = "ID,ID…")]
    pub only: Option<String>,
    /// The shared run cache the workers write into (put in every command).
    #[arg(long, value_name = "DIR", default_value = "results/runs")]
    pub cache: PathBuf,
    /// Output: json (the run list) or slurm (a job-array submission script).
    #[arg(long, value_name = "FORMAT", default_value = "json")]
    pub emit: String,
    /// Where to write the JSON plan [json: stdout; slurm: icnet-plan-PROFILE.json].
    #[arg(long, value_name = "FILE")]
    pub plan_file: Option<PathBuf>,
    /// Where to write the output (json: the plan, like --plan-file; slurm: the script)
    /// [default: stdout].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The icnet executable the workers call.
    #[arg(long, value_name = "PATH", default_value = "icnet")]
    pub icnet: String,
    /// Output directory of the final `reproduce --collect` job [default: the profile's].
    #[arg(long, value_name = "DIR")]
    pub collect_out: Option<PathBuf>,
}

/// Arguments of `icnet run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run hash (from `icnet plan`); or give --plan, --stage and --index.
    #[arg(
        value_name = "HASH",
        required_unless_present = "plan",
        conflicts_with = "plan"
    )]
    pub hash: Option<String>,
    /// The run's experiment (from the plan); saves planning every other experiment.
    #[arg(long, value_name = "ID")]
    pub experiment: Option<String>,
    /// A plan file from `icnet plan`; the run is the --index-th of stage --stage.
    #[arg(long, value_name = "FILE", requires_all = ["stage", "index"])]
    pub plan: Option<PathBuf>,
    /// Dependency stage within --plan.
    #[arg(long, value_name = "K", requires = "plan")]
    pub stage: Option<usize>,
    /// Index of the run within the stage (a SLURM array task id).
    #[arg(long, value_name = "I", requires = "plan")]
    pub index: Option<usize>,
    /// Profile the hash was planned for.
    #[arg(long, default_value = "quick", value_name = "PROFILE")]
    pub profile: String,
    /// The shared run cache.
    #[arg(long, value_name = "DIR", default_value = "results/runs")]
    pub cache: PathBuf,
    /// Worker threads [default: every core].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Recompute and replace the run even if it is cached.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `icnet verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The output directory to check.
    #[arg(value_name = "DIR", default_value = "paper")]
    pub dir: PathBuf,
}

/// Arguments of `icnet list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Run cache directory to check.
    #[arg(long, value_name = "DIR", default_value = "results/runs")]
    pub cache: PathBuf,
}

/// Arguments of `icnet simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Model name, e.g. hh-1952, hh-modern, tvlif2hh (see below).
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// Stimulus, e.g. constant:amp=10, sine, noise:mean=10,sd=2,seed=3.
    #[arg(long, value_name = "STIMULUS")]
    pub stimulus: String,
    /// Integrator: euler, rk4 or exp-euler.
    #[arg(long, value_name = "INTEGRATOR", default_value = "euler")]
    pub integrator: String,
    /// Time step in ms.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0.01,
        allow_negative_numbers = true
    )]
    pub dt: f64,
    /// Duration in ms.
    #[arg(
        long = "ms",
        value_name = "MS",
        default_value_t = 80.0,
        allow_negative_numbers = true
    )]
    pub duration: f64,
    /// Record every K-th step (spikes are detected at every step).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub record_every: usize,
    /// Override a model parameter by its paper symbol, e.g. --set C=2 --set g_Na=100
    /// (HH: C, g_Na, g_K, g_L, E_Na, E_K, E_L; lif: tau, u_rest, R, threshold, u_reset;
    /// lif-discrete: decay, threshold; slif2hh: threshold, reset, leak, gain, weight).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// N independent 1952-convention HH neurons (forward Euler, f64, constant currents spread
    /// over 5–15 µA/cm², spike detection on); prints JSON with ns_per_neuron_step.
    #[command(
        after_help = "Example:\n  icnet bench hh --neurons 10000 --ms 100 --dt 0.01 --threads 2"
    )]
    Hh(BenchHhArgs),
    /// One training step (forward, backward, Adam update) of a multi-task model on a
    /// synthetic byte-scale batch; prints JSON with ms_per_step and where the time goes.
    #[command(after_help = "\
Examples:
  icnet bench train --model lif-fc --batch 128 --threads 2
  icnet bench train --model all

Models: lif-fc, 4lif-fc, hh-fc, hh-vd-fc, slif2hh-fc, ann, or all.")]
    Train(BenchTrainArgs),
    /// One soft actor–critic update (critic, actor, target; batch 64; window 5×3; the double
    /// pendulum's 9-value observation); prints JSON with ms_per_update.
    #[command(after_help = "\
Examples:
  icnet bench sac --actor lif --threads 2
  icnet bench sac --actor all

Actors: ann, lif, hh, slif2hh, 4lif, or all.")]
    Sac(BenchSacArgs),
}

/// Arguments of `icnet bench sac`.
#[derive(Debug, Args)]
pub struct BenchSacArgs {
    /// Actor id (ann, lif, hh, slif2hh, 4lif), or `all`.
    #[arg(long, value_name = "ACTOR")]
    pub actor: String,
    /// Worker threads.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub threads: usize,
    /// Timed updates (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub repeats: usize,
}

/// Arguments of `icnet bench train`.
#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// Model id, or `all`.
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// Rows per batch.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub batch: usize,
    /// Worker threads.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub threads: usize,
    /// Timed steps (the median is reported).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub repeats: usize,
}

/// Arguments of `icnet bench hh`.
#[derive(Debug, Args)]
pub struct BenchHhArgs {
    /// Number of neurons.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub neurons: usize,
    /// Simulated time in ms.
    #[arg(
        long = "ms",
        value_name = "MS",
        default_value_t = 100.0,
        allow_negative_numbers = true
    )]
    pub duration: f64,
    /// Time step in ms.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0.01,
        allow_negative_numbers = true
    )]
    pub dt: f64,
    /// Worker threads.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub threads: usize,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Reproduce(args) => {
            let profile: Profile = args.profile.parse()?;
            let only = args.only.as_deref().map(parse_only).transpose()?;
            let out = args
                .out
                .unwrap_or_else(|| PathBuf::from(profile.default_out()));
            let force = args
                .force
                .as_deref()
                .map(Force::parse)
                .transpose()?
                .unwrap_or_default();
            let opts = ReproduceOptions {
                profile,
                only,
                out,
                cache: args.cache,
                jobs: args.jobs,
                command: std::env::args().collect(),
            };
            let mode = CacheMode {
                force,
                collect: args.collect,
            };
            commands::reproduce::run(&opts, &mode)
        }
        Command::Plan(args) => {
            let profile: Profile = args.profile.parse()?;
            let opts = commands::plan::PlanOptions {
                profile,
                only: args.only.as_deref().map(parse_only).transpose()?,
                cache: args.cache,
                emit: args.emit.parse()?,
                plan_file: args.plan_file,
                out: args.out,
                icnet: args.icnet,
                collect_out: args
                    .collect_out
                    .unwrap_or_else(|| PathBuf::from(profile.default_out())),
            };
            commands::plan::run(&opts)
        }
        Command::Run(args) => {
            let target = match (args.hash, args.plan, args.stage, args.index) {
                (_, Some(plan), Some(stage), Some(index)) => {
                    RunTarget::PlanIndex { plan, stage, index }
                }
                (Some(hash), _, _, _) => RunTarget::Hash {
                    hash,
                    experiment: args.experiment,
                },
                _ => anyhow::bail!(
                    "give a run hash, or --plan FILE --stage K --index I; see `icnet run --help`"
                ),
            };
            commands::run::run(&commands::run::RunOptions {
                target,
                profile: args.profile.parse()?,
                cache: args.cache,
                jobs: args.jobs,
                force: args.force,
            })
        }
        Command::Verify(args) => commands::verify::run(&args.dir),
        Command::List(args) => commands::list::run(&args.cache),
        Command::Simulate(args) => commands::simulate::run(&args),
        Command::Env(args) => commands::env::run(&args),
        Command::Bench(BenchCommand::Hh(args)) => commands::bench::run(&args),
        Command::Bench(BenchCommand::Train(args)) => commands::bench::run_train(&args),
        Command::Bench(BenchCommand::Sac(args)) => commands::bench::run_sac(&args),
        Command::Data(DataCommand::Build(args)) => commands::data::run_build(&args),
        Command::Data(DataCommand::Check { dir }) => commands::data::run_check(&dir),
    }
}

/// Formats an error chain as one line: "outer: inner: cause".
pub fn one_line(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Panics are bugs; report them as one line instead of a backtrace dump (unless the user
/// asked for a backtrace).
fn install_panic_hook() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error ({message}{at}); this is a bug in icnet, please report it with RUST_BACKTRACE=1 output");
    }));
}

/// Entry point of the binary; returns the process exit code.
pub fn main() -> i32 {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn errors_become_one_line() {
        let e = anyhow::anyhow!("inner\ncause").context("outer");
        assert_eq!(one_line(&e), "outer: inner cause");
    }
}
