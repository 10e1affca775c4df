//! `icnet env replay`: replays reference episodes recorded from gymnasium's MuJoCo v5 tasks
//! (scripts/gym_fixture.py) with the Rust port of the inverted-pendulum environments and prints
//! the differences as JSON (issue 6: max_abs_obs_error ≤ 1e-3, termination_mismatches = 0).

use anyhow::Result;
use clap::{Args, Subcommand};
use icnet_control::replay::{replay_reference, MAX_OBS_ERROR_BAR};
use std::path::PathBuf;

/// The committed reference fixture, relative to the repository root.
pub const DEFAULT_REFERENCE: &str = "crates/control/tests/fixtures/gym_v5_reference.json";

/// Arguments of `icnet env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// What to do with the environments.
    #[command(subcommand)]
    pub command: EnvCommand,
}

/// `icnet env` subcommands.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Replay every reference episode from its initial state with its recorded actions and
    /// print JSON: max_abs_obs_error, max_abs_reward_error, termination_mismatches, passes, and
    /// a per-task breakdown with the worst step.
    #[command(after_help = "\
Examples:
  icnet env replay                      the committed fixture
  icnet env replay --reference my.json  a fixture from scripts/gym_fixture.py --out my.json

The fixture is recorded outside CI (scripts/README.md, \"Inverted-pendulum reference\").
Exits non-zero when a bar is missed: max_abs_obs_error > 1e-3 or a termination mismatch.")]
    Replay(ReplayArgs),
}

/// Arguments of `icnet env replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The reference fixture (JSON from scripts/gym_fixture.py).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_REFERENCE)]
    pub reference: PathBuf,
}

/// Runs `icnet env …`.
pub fn run(args: &EnvArgs) -> Result<()> {
    match &args.command {
        EnvCommand::Replay(replay) => run_replay(replay),
    }
}

/// Runs `icnet env replay` and prints the report as pretty JSON.
pub fn run_replay(args: &ReplayArgs) -> Result<()> {
    let report = replay_reference(&args.reference)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    anyhow::ensure!(
        report.passes,
        "the replay of {} misses the bars (max_abs_obs_error {:e}, bar {MAX_OBS_ERROR_BAR:e}; \
         termination_mismatches {}, bar 0); the per-task `worst` entries above locate the \
         first divergence",
        args.reference.display(),
        report.max_abs_obs_error,
        report.termination_mismatches
    );
    Ok(())
}
