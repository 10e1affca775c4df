//! Fig. 4d: soft actor–critic reward curves of the five actors on the inverted pendulum and
//! the inverted double pendulum (PAPER.md §5): shaped reward per step, moving average, mean ±
//! s.d. over seeds. A uniform-random policy is run alongside as the baseline of the sanity
//! check (our addition).

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
pub const ID: &str = "fig4d";

/// Fig. 4d.
pub struct Fig4d;

/// The policies of the figure: the five actors, then the random baseline.
pub fn policies() -> Vec<Policy> {
    ActorKind::ALL
        .into_iter()
        .map(Policy::Sac)
        .chain(std::iter::once(Policy::Random))
        .collect()
}

impl Experiment for Fig4d {
    fn id(&self) -> &'static str {
        ID
    }
    fn paper_ref(&self) -> &'static str {
        "Fig. 4d"
    }
    fn title(&self) -> &'static str {
        "soft actor-critic reward curves of the five actors on the two pendulum tasks"
    }

    fn estimated_seconds(&self, _profile: Profile, run: &RunSpec) -> f64 {
        rl::estimated_seconds(run)
    }

    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
        let mut runs = Vec::new();
        for task in TASKS {
            for policy in policies() {
                for &seed in &Scale::of(profile).seeds {
                    runs.push(rl::run_spec(
                        ID,
                        profile,
                        task,
                        policy,
                        seed,
                        ("clean", 0.0, 0.0),
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
            "task",
            "actor",
            "final shaped reward per step",
            "s.d.",
            "mean over the run",
            "seeds",
        ]);
        let mut metrics = Vec::new();
        let mut panels = Vec::new();
        for (task_id, task_name) in TASKS {
            let mut groups = Vec::new();
            for (color, policy) in policies().into_iter().enumerate() {
                let group: Vec<&Finished> = runs
                    .iter()
                    .filter(|f| f.rl.task_id == task_id && f.rl.run.policy == policy)
                    .collect();
                if group.is_empty() {
                    continue;
                }
                let id = group[0].rl.policy_id();
                let finals = rl::final_rewards(&group)?;
                let (m, s) = super::multitask::mean_sd(&finals);
                let means: Vec<f64> = group
                    .iter()
                    .map(|f| f.record.summary_f64("mean_reward"))
                    .collect::<Result<_>>()?;
                let (whole, _) = super::multitask::mean_sd(&means);
                table.push_row(vec![
                    Cell::text(task_id),
                    Cell::text(id),
                    Cell::float(m, 3),
                    Cell::float(s, 3),
                    Cell::float(whole, 3),
                    Cell::Int(group.len() as i64),
                ])?;
                metrics.push((format!("{task_id}.{id}.final_reward"), m));
                groups.push((id.to_string(), group, color));
            }
            panels.push(rl::panel(task_name, &groups, scale.smoothing)?);
        }
        let method = "Soft actor–critic (γ 0.99, τ 0.005, Adam lr 3e-4, α 0.2 fixed, batch 64, \
                      one update per step, twin 256-256 ReLU critics on the current observation \
                      and action); actors see the last 5 observations, each repeated 3 times \
                      (T = 15), through 128 units (4lif 512), mean rate, two heads of 64 ReLU \
                      units (mean, log σ ∈ [−20, 2]), tanh-squashed Gaussian. The first steps of \
                      an episode pad the window with the first observation (the paper drove \
                      them with a small pretrained ANN). The shaped reward is PAPER.md §5's; \
                      'random' is a uniform-random policy (our baseline).";
        let mut outputs = Vec::new();
        outputs.push(
            out.table(
                "fig4d",
                &format!(
                    "Final shaped reward per step (mean over the last 10 % of the steps of each \
                     run; mean and sample s.d. over seeds) and the mean over the whole run. \
                     {method} {describe}."
                ),
                &table,
            )?
            .deviation("The first steps of each episode pad the observation window instead of using a pretrained ANN policy.")
            .deviation(format!("Scale: {describe}.")),
        );
        let grid = PanelGrid {
            title: Some("Fig. 4d: SAC with spiking actors".into()),
            rows: 1,
            cols: 2,
            panels,
            size: (1500, 600),
        };
        outputs.push(
            out.figure(
                "fig4d_rewards",
                &format!(
                    "Shaped reward per step, trailing moving average over {} steps, mean ± s.d. \
                     over seeds (bands), per task and actor; dashed: uniform-random policy. \
                     {method} {describe}.",
                    scale.smoothing
                ),
                &grid,
            )?
            .deviation(format!("Scale: {describe}.")),
        );
        Ok(Rendered { outputs, metrics })
    }
}
