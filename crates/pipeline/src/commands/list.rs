//! `icnet list`: experiments, the paper figure/table each regenerates, dependencies, and
//! whether their runs are cached for each profile.

use crate::cache::RunCache;
use crate::profile::Profile;
use crate::registry::Registry;
use crate::reproduce::plan;
use anyhow::Result;
use std::path::Path;

/// Cache status of every experiment for one profile: "cached", "missing", "k/n", or why the
/// runs cannot be planned.
pub fn cache_status(
    registry: &Registry,
    cache: &RunCache,
    profile: Profile,
) -> Vec<(String, String)> {
    // Each experiment is planned with its own dependency closure, so one experiment whose
    // inputs are missing does not hide the status of the others.
    registry
        .all()
        .map(|exp| {
            let closure = registry
                .closure(Some(&[exp.id().to_string()]))
                .unwrap_or_default();
            let status = match plan(&closure, profile) {
                Ok(plans) => plans
                    .last()
                    .map(|p| count(cache, &p.runs))
                    .unwrap_or_default(),
                Err(e) => format!("n/a ({})", crate::cli::one_line(&e)),
            };
            (exp.id().to_string(), status)
        })
        .collect()
}

fn count(cache: &RunCache, runs: &[(crate::RunSpec, String)]) -> String {
    let done = runs.iter().filter(|(_, hash)| cache.contains(hash)).count();
    match (done, runs.len()) {
        (_, 0) => "no runs".into(),
        (d, n) if d == n => "cached".into(),
        (0, _) => "missing".into(),
        (d, n) => format!("{d}/{n}"),
    }
}

/// Prints the experiment table.
pub fn run(cache_dir: &Path) -> Result<()> {
    let registry = crate::experiments::registry()?;
    let cache = RunCache::new(cache_dir);
    let statuses: Vec<Vec<(String, String)>> = Profile::ALL
        .iter()
        .map(|&p| cache_status(&registry, &cache, p))
        .collect();
    println!(
        "{:<10} {:<12} {:<14} {:<8} {:<8} {:<8} title",
        "id", "paper", "depends on", "smoke", "quick", "paper"
    );
    for exp in registry.all() {
        let status = |i: usize| {
            statuses[i]
                .iter()
                .find(|(id, _)| id == exp.id())
                .map(|(_, s)| s.clone())
                .unwrap_or_default()
        };
        let deps = if exp.depends_on().is_empty() {
            "-".to_string()
        } else {
            exp.depends_on().join(",")
        };
        println!(
            "{:<10} {:<12} {:<14} {:<8} {:<8} {:<8} {}",
            exp.id(),
            exp.paper_ref(),
            deps,
            status(0),
            status(1),
            status(2),
            exp.title()
        );
    }
    println!(
        "\ncache: {} (cached = every run of that profile is present)",
        cache_dir.display()
    );
    Ok(())
}
