//! Fig. 4i: the five actors on the inverted double pendulum under state noise (σ 0.002 on the
//! observations the agent sees) and reward noise (σ 0.1 on the observation the shaped reward
//! is computed from), PAPER.md §5 and issue 6. Curves show the noise-free shaped reward.

use super::rl::{self, Finished, Scale, TASKS};
use crate::output::plot::PanelGrid;
use crate::output::{Cell, OutputWriter, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::Result;
use icnet_control::sac::run::Policy;
use icnet_control::sac::ActorKind;
use serde_json::Value;

/// Experiment id.
pub const ID: &str = "fig4i";

/// The noise conditions: (id, σ on observed states, σ on the reward's observation).
pub const NOISES: [(&str, f64, f64); 2] = [("state", 0.002, 0.0), ("reward", 0.0, 0.1)];

/// Fig. 4i.
pub struct Fig4i;

impl Experiment for Fig4i {
    fn id(&self) -> &'static str {
        ID
    }
    fn paper_ref(&self) -> &'static str {
        "Fig. 4i"
    }
    fn title(&self) -> &'static str {
        "soft actor-critic on the double pendulum under state and reward noise, five actors"
    }

    fn estimated_seconds(&self, _profile: Profile, run: &RunSpec) -> f64 {
        rl::estimated_seconds(run)
    }

    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
        let mut runs = Vec::new();
        for (noise, state, reward) in NOISES {
            for kind in ActorKind::ALL {
                for &seed in &Scale::of(profile).seeds {
                    runs.push(rl::run_spec(
                        ID,
                        profile,
                        TASKS[1],
                        Policy::Sac(kind),
                        seed,
                        (noise, state, reward),
                    )?);
                }
            }
        }
        Ok(runs)
    }

    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        rl::execute(run, ctx)
    }

    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let runs = rl::finished(ctx.runs)?;
        let scale = Scale::of(ctx.profile);
        let describe = scale.describe(ctx.profile);
        let mut table = Table::new([
            "noise",
            "σ",
            "actor",
            "final shaped reward per step",
            "s.d.",
            "seeds",
        ]);
        let mut metrics = Vec::new();
        let mut panels = Vec::new();
        for (noise, state, reward) in NOISES {
            let mut groups = Vec::new();
            for (color, kind) in ActorKind::ALL.into_iter().enumerate() {
                let group: Vec<&Finished> = runs
                    .iter()
                    .filter(|f| f.rl.condition == noise && f.rl.run.policy == Policy::Sac(kind))
                    .collect();
                if group.is_empty() {
                    continue;
                }
                let finals = rl::final_rewards(&group)?;
                let (m, s) = super::multitask::mean_sd(&finals);
                table.push_row(vec![
                    Cell::text(noise),
                    Cell::float(state.max(reward), 3),
                    Cell::text(kind.id()),
                    Cell::float(m, 3),
                    Cell::float(s, 3),
                    Cell::Int(group.len() as i64),
                ])?;
                metrics.push((format!("{noise}.{}.final_reward", kind.id()), m));
                groups.push((kind.id().to_string(), group, color));
            }
            let title = format!(
                "{} noise (σ {})",
                if noise == "state" { "state" } else { "reward" },
                state.max(reward)
            );
            panels.push(rl::panel(&title, &groups, scale.smoothing)?);
        }
        let method = "InvertedDoublePendulum-v5, SAC as in fig4d. State noise adds N(0, 0.002²) \
                      to every observation the agent sees (stored windows included); reward noise \
                      adds N(0, 0.1²) to the observation the learning reward is computed from. The \
                      curves and table show the noise-free shaped reward.";
        let mut outputs = Vec::new();
        outputs.push(
            out.table(
                "fig4i",
                &format!(
                    "Final shaped reward per step (mean over the last 10 % of the steps; mean and \
                     sample s.d. over seeds) under state and reward noise. {method} {describe}."
                ),
                &table,
            )?
            .deviation(format!("Scale: {describe}.")),
        );
        let grid = PanelGrid {
            title: Some("Fig. 4i: SAC on the double pendulum under noise".into()),
            rows: 1,
            cols: 2,
            panels,
            size: (1500, 600),
        };
        outputs.push(
            out.figure(
                "fig4i_rewards",
                &format!(
                    "Noise-free shaped reward per step, trailing moving average over {} steps, \
                     mean ± s.d. over seeds (bands), per noise condition and actor. {method} \
                     {describe}.",
                    scale.smoothing
                ),
                &grid,
            )?
            .deviation(format!("Scale: {describe}.")),
        );
        Ok(Rendered { outputs, metrics })
    }
}
