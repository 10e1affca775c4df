//! Test fixtures shared by the command tests: a two-experiment registry where `top` depends
//! on `base`, both cheap and deterministic.

use crate::output::{Cell, OutputWriter, Table};
use crate::profile::Profile;
use crate::registry::{Experiment, Registry, RenderContext, Rendered, RunContext, RunSpec};
use anyhow::Result;
use serde_json::{json, Value};

/// Three seeded runs; renders a table and a metric.
pub struct Base;

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
    fn estimated_seconds(&self, _: Profile, run: &RunSpec) -> f64 {
        100.0 * run.seed as f64
    }
    fn runs(&self, profile: Profile) -> Result<Vec<RunSpec>> {
        Ok((1..=3)
            .map(|s| RunSpec::new("base", format!("seed{s}"), json!({"p": profile.name()}), s))
            .collect())
    }
    fn execute(&self, run: &RunSpec, ctx: &RunContext<'_>) -> Result<Value> {
        ctx.write_json("values.json", &vec![run.seed as f64; 2])?;
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

/// One run that sums `base`'s runs.
pub struct Top;

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
        let mut sum = 0.0;
        for r in &ctx.deps["base"] {
            sum += r.summary_f64("value")?;
        }
        Ok(json!({"sum": sum}))
    }
    fn render(&self, ctx: &RenderContext<'_>, out: &OutputWriter) -> Result<Rendered> {
        let mut table = Table::new(["sum"]);
        table.push_row(vec![Cell::float(ctx.runs[0].summary_f64("sum")?, 1)])?;
        Ok(Rendered {
            outputs: vec![out.table("top", "Sum", &table)?],
            metrics: vec![("sum".into(), ctx.runs[0].summary_f64("sum")?)],
        })
    }
}

/// The registry of [`Base`] and [`Top`].
pub fn registry() -> Registry {
    Registry::new(vec![Box::new(Top), Box::new(Base)]).expect("a valid registry")
}
