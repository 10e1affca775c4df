//! The registered experiments, one module each.
//!
//! To add an experiment: write a module with a unit struct implementing
//! [`crate::registry::Experiment`] (see `fig2.rs`), add it to [`all`], and give it
//! a golden test. The registry orders experiments by their dependencies.

pub mod claims;
pub mod cost;
pub mod equivalence;
pub mod fig2;
pub mod fig3d;
pub mod fig4c;
pub mod fig4d;
pub mod fig4h;
pub mod fig4i;
pub mod fig5b;
pub mod fig5d;
pub mod multitask;
pub mod rl;
pub mod robustness;
pub mod s2_1;
pub mod s2_2;
pub mod topology;

use crate::registry::{Experiment, Registry};

/// Every experiment, in the order `icnet list` shows them (dependencies are moved first).
pub fn all() -> Vec<Box<dyn Experiment>> {
    vec![
        Box::new(fig2::Fig2),
        Box::new(s2_1::S2XorCircuit),
        Box::new(s2_2::S2FullyConnected),
        Box::new(equivalence::Equivalence),
        Box::new(fig3d::Fig3d),
        Box::new(topology::TopologySweep),
        Box::new(fig4c::Fig4c),
        Box::new(fig4h::Fig4h),
        Box::new(fig4d::Fig4d),
        Box::new(fig4i::Fig4i),
        Box::new(fig5d::Fig5d),
        Box::new(robustness::Robustness),
        Box::new(claims::Claims),
        Box::new(fig5b::Fig5b),
        Box::new(cost::Cost),
    ]
}

/// The registry of every experiment.
pub fn registry() -> anyhow::Result<Registry> {
    Registry::new(all())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::reproduce::plan;

    #[test]
    fn the_standard_registry_is_valid_and_plannable_for_every_profile() {
        let registry = registry().unwrap();
        assert!(registry.get("fig2").is_some());
        // The multi-task experiments key their runs by the raw data's checksum and S2.2 takes
        // its input image from the data; without the data (`just data`) they cannot be
        // planned, which their own tests cover.
        let data = multitask::data_dir();
        let have_data = icnet_data::ensure_raw(&data).is_ok();
        if !have_data {
            eprintln!(
                "s2_2, fig4c, fig4h, fig5d, robustness and claims not planned: no raw data under {}",
                data.display()
            );
        }
        let all: Vec<_> = registry
            .all()
            .filter(|e| {
                have_data
                    || ![
                        s2_2::ID,
                        fig4c::ID,
                        fig4h::ID,
                        fig5d::ID,
                        robustness::ID,
                        claims::ID,
                    ]
                    .contains(&e.id())
            })
            .collect();
        // Robustness and claims only analyse their dependencies' runs; every other
        // experiment trains or simulates something of its own.
        let analysis_only = [robustness::ID, claims::ID];
        for profile in Profile::ALL {
            let plans = plan(&all, profile).unwrap();
            for p in &plans {
                let id = p.experiment.id();
                if analysis_only.contains(&id) {
                    assert!(p.runs.is_empty(), "{id} trains nothing of its own");
                    assert!(
                        !p.experiment.depends_on().is_empty(),
                        "{id} reads other runs"
                    );
                } else {
                    assert!(!p.runs.is_empty(), "{id} has no run under {profile:?}");
                }
            }
        }
    }
}
