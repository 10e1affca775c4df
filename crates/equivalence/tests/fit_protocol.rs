//! Summaries and the metric-by-metric contest of two models, on hand-worked cases; the
//! protocol's targets.

use icnet_equivalence::chain::{ChainTrains, HhChain};
use icnet_equivalence::fit::{
    contest, summarise, FitBudget, HeldOutSpec, HhInitialState, LossWeights, Protocol,
    StimulusEvaluation,
};
use icnet_equivalence::metrics::{compare, MetricParams, SpikeTrain};

fn train(t: &[f64]) -> SpikeTrain {
    SpikeTrain::new(t.to_vec()).unwrap()
}

fn evaluation(name: &str, reference: &[f64], model: &[f64]) -> StimulusEvaluation {
    let (r, m) = (train(reference), train(model));
    StimulusEvaluation {
        name: name.into(),
        unit2: compare(&r, &m, &MetricParams::with_duration(80.0)).unwrap(),
        model: ChainTrains {
            unit1: m.clone(),
            unit2: m,
        },
        loss: 0.0,
    }
}

#[test]
fn summaries_average_defined_values_only() {
    let hh = [10.0, 30.0, 50.0, 70.0];
    let evals = vec![
        evaluation("a", &hh, &hh),                       // perfect
        evaluation("b", &hh, &[11.0, 31.0, 51.0, 71.0]), // shifted 1 ms: offset 1/20
        evaluation("c", &hh, &[40.0]),                   // one spike: no ISI, no offset
    ];
    let s = summarise(&evals);
    assert_eq!(s.stimuli, 3);
    assert_eq!(s.count_error_total, 3);
    assert!((s.count_error - 1.0).abs() < 1e-12);
    assert_eq!(s.isi_defined, 2);
    assert_eq!(s.abs_isi_difference_ms, Some(0.0));
    assert_eq!(s.offset_defined, 2);
    assert!((s.normalised_offset.unwrap() - 0.025).abs() < 1e-12);
    assert!((s.gamma_min - evals[2].unit2.gamma).abs() < 1e-12);
    assert!(s.gamma_min < 0.5 && s.gamma_mean < 1.0);
}

#[test]
fn the_contest_compares_pairwise_and_guards_undefined_metrics() {
    let hh = [10.0, 30.0, 50.0, 70.0];
    // A fires too often; B is close to HH.
    let a = vec![
        evaluation("x", &hh, &[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]),
        evaluation("y", &hh, &[12.0, 33.0, 50.0, 72.0]),
    ];
    let b = vec![
        evaluation("x", &hh, &[10.5, 30.5, 50.5, 70.5]),
        evaluation("y", &hh, &[11.0, 31.0, 51.0, 71.0]),
    ];
    let c = contest(&a, &b);
    let names: Vec<&str> = c.iter().map(|m| m.metric.as_str()).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(c.iter().all(|m| m.b_wins), "{c:#?}");
    // Offset: defined for A only on y (2 + 3 + 0 + 2)/4/20 = 0.0875; B there 1/20.
    let offset = &c[2];
    assert_eq!(offset.stimuli, 1);
    assert!((offset.a.unwrap() - 0.0875).abs() < 1e-12);
    assert!((offset.b.unwrap() - 0.05).abs() < 1e-12);
    // The reverse contest: A never beats B.
    assert!(contest(&b, &a).iter().all(|m| !m.b_wins));
    // B better where both are defined but defined on fewer stimuli: no win for B.
    let a2 = vec![
        evaluation("x", &hh, &[13.0, 33.0, 53.0, 73.0]),
        evaluation("y", &hh, &hh),
    ];
    let b2 = vec![
        evaluation("x", &hh, &[11.0, 31.0, 51.0, 71.0]),
        evaluation("y", &hh, &hh[..3]),
    ];
    let offset = &contest(&a2, &b2)[2];
    assert_eq!(offset.stimuli, 1);
    assert!(offset.b.unwrap() < offset.a.unwrap());
    assert!(!offset.b_wins);
}

#[test]
fn protocol_targets_pair_each_stimulus_with_its_hh_trains() {
    let protocol = Protocol {
        duration_ms: 80.0,
        hh_initial: HhInitialState::AuthorsScript,
        held_out: HeldOutSpec {
            per_shape: 1,
            noise: 1,
            spread: 0.25,
            seed: 1,
        },
        loss: LossWeights::default(),
        budget: FitBudget {
            restarts: 1,
            population: 4,
            generations: 1,
            initial_sigma: 0.3,
            screen: 1,
        },
    };
    let targets = protocol.targets().unwrap();
    assert_eq!(targets.training.len(), 5);
    assert_eq!(targets.held_out.len(), 6);
    let hh = HhChain::authors_script();
    for t in targets.training.iter().chain(&targets.held_out) {
        assert_eq!(
            t.reference,
            hh.run(&t.stimulus.stimulus, 80.0).unwrap(),
            "{}",
            t.stimulus.name
        );
    }
    // The paper's counts from the authors' state (unit 2): 5, 8, 8, 6, 5.
    let counts: Vec<usize> = targets
        .training
        .iter()
        .map(|t| t.reference.unit2.len())
        .collect();
    assert_eq!(counts, vec![5, 8, 8, 6, 5]);
    assert_eq!(targets.references().len(), 11);
    assert_eq!(HhInitialState::Rest.chain(), HhChain::default());
}
