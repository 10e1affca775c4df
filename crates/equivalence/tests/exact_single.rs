//! The single-neuron exactness grid on small cases: agreement to rounding, convergence at
//! the integrator's order, and divergence of all three models at the same step.

use icnet_equivalence::exact::single::{run_single_neuron, SingleNeuronSetting};
use icnet_neurons::stimulus::Stimulus;
use icnet_neurons::Integrator;

/// A cheap grid: 40 ms, three dts, reference RK4 at 0.0025 ms.
fn setting(stimulus: Stimulus, dts: &[f64]) -> SingleNeuronSetting {
    SingleNeuronSetting {
        duration_ms: 40.0,
        dts_ms: dts.to_vec(),
        reference_dt_ms: 0.0025,
        ..SingleNeuronSetting::paper(stimulus)
    }
}

#[test]
fn both_variants_agree_with_hh_to_rounding_at_every_stable_dt() {
    for (name, stimulus) in Stimulus::paper_shapes() {
        let result = run_single_neuron(&setting(stimulus, &[0.05, 0.02, 0.01])).unwrap();
        assert_eq!(result.cells.len(), 6);
        for cell in &result.cells {
            let what = format!("{name}, {} at dt = {}", cell.integrator, cell.dt_ms);
            assert!(
                cell.diverged_together() && cell.hh.diverged_at_ms.is_none(),
                "{what}"
            );
            for pair in [&cell.closed_loop_vs_hh, &cell.driven_vs_hh] {
                let dv = pair.max_abs_dv_mv.unwrap();
                assert!(dv < 1e-8, "{what}: |dV| = {dv}");
                assert_eq!(pair.spike_mismatches, Some(0), "{what}");
                assert!(pair.max_spike_shift_ms.unwrap() < 1e-9, "{what}");
            }
            assert!(!cell.hh.spikes.is_empty(), "{what}: HH fires");
            assert_eq!(cell.hh.spikes.len(), cell.closed_loop.spikes.len());
            assert_eq!(cell.hh.spikes.len(), cell.driven.spikes.len());
        }
    }
}

#[test]
fn errors_fall_at_the_integrator_order_for_both_models() {
    let result = run_single_neuron(&SingleNeuronSetting {
        reference_dt_ms: 0.000625,
        ..setting(
            Stimulus::default_for("square").unwrap(),
            &[0.01, 0.005, 0.0025],
        )
    })
    .unwrap();
    for (integrator, expected) in [(Integrator::Euler, 1.0), (Integrator::Rk4, 4.0)] {
        let (p_hh, p_tv) = result.orders(integrator, 0.01);
        let (p_hh, p_tv) = (p_hh.unwrap(), p_tv.unwrap());
        // The square wave jumps on the grid; one-sided sampling keeps RK4 at order 4.
        assert!(
            (p_hh - expected).abs() < 0.2,
            "{integrator}: HH order {p_hh}"
        );
        assert!((p_tv - p_hh).abs() < 1e-3, "{integrator}: tv order {p_tv}");
    }
    assert!(result.reference.closed_loop_vs_hh_mv < 1e-8);
}

#[test]
fn at_dt_0_1_all_three_models_diverge_at_the_same_step() {
    // Forward Euler takes ≈ 44 ms to blow up, RK4 ≈ 2 ms: simulate the paper's 80 ms.
    let result = run_single_neuron(&SingleNeuronSetting {
        duration_ms: 80.0,
        ..setting(Stimulus::Constant { amp: 9.0 }, &[0.1])
    })
    .unwrap();
    for cell in &result.cells {
        assert!(
            cell.hh.diverged_at_ms.is_some(),
            "{} did not diverge",
            cell.integrator
        );
        assert!(cell.diverged_together(), "{}", cell.integrator);
        assert_eq!(cell.closed_loop_vs_hh.max_abs_dv_mv, None);
        assert_eq!(cell.driven_vs_hh.spike_mismatches, None);
        assert_eq!(cell.error_hh_mv, None);
        assert!(cell.hh.spikes.iter().all(|t| t.is_finite()));
    }
}

#[test]
fn a_grid_that_does_not_fit_the_samples_is_rejected() {
    let mut s = setting(Stimulus::Constant { amp: 9.0 }, &[0.03]);
    assert!(run_single_neuron(&s).is_err());
    s.dts_ms = vec![0.01];
    s.reference_dt_ms = 0.0;
    assert!(run_single_neuron(&s).is_err());
    s.reference_dt_ms = 0.0025;
    s.stimulus = Stimulus::Square {
        base: 1.0,
        amp: 1.0,
        period: 0.0,
    };
    assert!(run_single_neuron(&s).is_err());
}
