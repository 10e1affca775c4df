//! The general LIF network: s-LIF2HH as a special case (bit for bit), topology wiring,
//! validation and divergence.

use icnet_equivalence::chain::{step_mean_currents, SLifChain, StepStamp, PAPER_WEIGHT};
use icnet_equivalence::fit::{Parameterisation, SLif2HhParameterisation};
use icnet_equivalence::topology::{Family, LifNetwork, Topology, TopologyParameterisation};
use icnet_neurons::slif2hh::{SLif2HhParams, SLif2HhState};
use icnet_neurons::stimulus::Stimulus;
use proptest::prelude::*;

fn fitted_like() -> SLif2HhParams {
    SLif2HhParams {
        leak: [0.063, 0.45, 0.48, 0.99],
        input_gain: [1.5, 2.76, 2.87],
        weights: [0.635, -0.486, -0.522],
        threshold: 22.0,
        reset: 0.0,
        dt: 0.235,
    }
}

/// Potentials and spikes of LifNetwork::step equal SLif2HhParams::step exactly (==, not ≈).
#[test]
fn one_network_reproduces_slif2hh_step_by_step_bit_for_bit() {
    for p in [SLif2HhParams::default(), fitted_like()] {
        let network = LifNetwork::from_slif2hh(&p);
        network.validate().unwrap();
        for (name, stimulus) in Stimulus::paper_shapes() {
            let steps = (80.0 / p.dt).round() as usize;
            let currents = step_mean_currents(&stimulus, p.dt, steps);
            let mut s = SLif2HhState::default();
            let mut u = network.initial_state();
            let mut spikes = 0;
            for (k, &current) in currents.iter().enumerate() {
                let (next, fired) = p.step(&s, current);
                let fired_net = network.step(&mut u, current).unwrap();
                assert_eq!(fired, fired_net, "{name}, step {k}");
                assert_eq!(next.u.as_slice(), u.as_slice(), "{name}, step {k}");
                spikes += usize::from(fired);
                s = next;
            }
            assert!(spikes > 0, "{name}: no spikes, the comparison is vacuous");
        }
    }
}

/// The two-unit chain of the general model equals SLifChain::run_currents for both units.
#[test]
fn network_chain_reproduces_the_slif_chain() {
    for p in [SLif2HhParams::default(), fitted_like()] {
        for stamp in [StepStamp::Start, StepStamp::End] {
            let chain = SLifChain {
                params: p,
                weight: PAPER_WEIGHT,
                stamp,
            };
            for (name, stimulus) in Stimulus::paper_shapes() {
                let steps = (80.0 / p.dt).round() as usize;
                let currents = step_mean_currents(&stimulus, p.dt, steps);
                let expected = chain.run_currents(&currents).unwrap();
                let got = LifNetwork::from_slif2hh(&p)
                    .run_chain(&currents, PAPER_WEIGHT, stamp)
                    .unwrap();
                assert_eq!(got, expected, "{name} {stamp:?}");
            }
        }
    }
}

/// The 3+1 fan-in topology with one threshold and the s-LIF2HH vector's values is s-LIF2HH.
#[test]
fn the_fan_in_three_plus_one_topology_contains_slif2hh() {
    let topology = Topology::new(Family::FanIn, 4).unwrap();
    assert_eq!(topology.label, "3+1");
    assert_eq!(topology.driven, vec![true, true, true, false]);
    assert_eq!(topology.connections, vec![(0, 3), (1, 3), (2, 3)]);
    let p = fitted_like();
    // [k1..k4, θ1..θ4, a1..a3, w41 w42 w43, dt]
    let mut x = p.leak.to_vec();
    x.extend([p.threshold; 4]);
    x.extend(p.input_gain);
    x.extend(p.weights);
    x.push(p.dt);
    let with_initial = TopologyParameterisation::with_initial_potentials(topology.clone());
    let parameterisation = TopologyParameterisation {
        topology,
        initial_potentials: false,
    };
    assert_eq!(parameterisation.names().len(), x.len());
    let network = parameterisation.network(&x).unwrap();
    assert_eq!(network, LifNetwork::from_slif2hh(&p));
    // And through the s-LIF2HH parameterisation.
    let s = SLif2HhParameterisation;
    // It starts the units at the reset explicitly, which simulates exactly as the default.
    let explicit = s.network(&s.vector(&p)).unwrap();
    assert_eq!(explicit.initial, vec![p.reset; 4]);
    assert_eq!(
        LifNetwork {
            initial: Vec::new(),
            ..explicit.clone()
        },
        network
    );
    let currents = vec![9.0; 80];
    assert_eq!(
        explicit
            .run_chain(&currents, 1e5, StepStamp::Start)
            .unwrap(),
        network.run_chain(&currents, 1e5, StepStamp::Start).unwrap()
    );
    assert_eq!(s.params(&s.vector(&p)), p);
    // Both parameterisations place fitted initial potentials last and agree on them.
    let u0 = [12.0, -30.0, 45.0, 0.5];
    let mut xs = s.vector(&p);
    xs[12..16].copy_from_slice(&u0);
    let mut xt = x.clone();
    xt.extend(u0);
    assert_eq!(with_initial.network(&xt).unwrap(), s.network(&xs).unwrap());
}

/// Initial potentials set the first spike apart from the inter-spike interval: the
/// hand-tuned unit under 9 µA/cm² fires at steps 14, 29, 44, … (u₁ = 90(1 − 0.9^(k+1))
/// first exceeds 70 at k = 14); started with every unit at 60 instead, u₁ = 90 − 30·0.9^(k+1)
/// exceeds 70 first at k = 3 (90 − 30·0.9⁴ = 70.3), then every 15 steps as before. Network 2
/// starts there too and, without input, decays; it still fires with network 1.
#[test]
fn initial_potentials_move_the_first_spike_only() {
    let p = SLif2HhParams::default();
    let s = SLif2HhParameterisation;
    let mut x = s.vector(&p);
    x[12..16].copy_from_slice(&[60.0; 4]);
    let network = s.network(&x).unwrap();
    network.validate().unwrap();
    let trains = network
        .run_chain(&[9.0; 80], 1e5, StepStamp::Start)
        .unwrap();
    assert_eq!(trains.unit1.times(), &[3.0, 18.0, 33.0, 48.0, 63.0, 78.0]);
    assert_eq!(trains.unit2, trains.unit1);
    // A wrong number of initial potentials is refused, naming the field.
    let short = LifNetwork {
        initial: vec![0.0; 3],
        ..network.clone()
    };
    assert!(short
        .validate()
        .unwrap_err()
        .to_string()
        .contains("initial"));
    let nan = LifNetwork {
        initial: vec![0.0, f64::NAN, 0.0, 0.0],
        ..network
    };
    assert!(nan.validate().unwrap_err().to_string().contains("initial"));
}

#[test]
fn topologies_have_the_documented_wiring() {
    let all = Topology::all(6);
    assert_eq!(all.len(), 1 + 5 + 3 + 4 + 5 + 5);
    let labels: Vec<&str> = all.iter().map(|t| t.label.as_str()).collect();
    for expected in ["single", "3+1", "2+2", "1+2+1", "ring-5", "full-6"] {
        assert!(
            labels.contains(&expected),
            "{expected} missing from {labels:?}"
        );
    }
    let layered = Topology::new(Family::Layered, 4).unwrap();
    assert_eq!(layered.connections, vec![(0, 1), (0, 2), (1, 3), (2, 3)]);
    assert_eq!(layered.driven, vec![true, false, false, false]);
    let ring = Topology::new(Family::Ring, 3).unwrap();
    assert_eq!(ring.connections, vec![(0, 1), (1, 2), (2, 0)]);
    let full = Topology::new(Family::FullyConnected, 6).unwrap();
    assert_eq!(full.connections.len(), 30);
    assert_eq!(full.parameter_count(), 6 + 6 + 6 + 30 + 1);
    let two = Topology::new(Family::TwoLayer, 5).unwrap();
    assert_eq!(two.label, "3+2");
    assert_eq!(two.connections.len(), 6);
    for t in &all {
        assert!(t
            .connections
            .iter()
            .all(|&(j, i)| i != j && i < t.units && j < t.units));
        let p = TopologyParameterisation {
            topology: t.clone(),
            initial_potentials: false,
        };
        let (lo, hi) = p.bounds();
        assert_eq!(lo.len(), t.parameter_count());
        let mid: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| 0.5 * (a + b)).collect();
        p.network(&mid).unwrap().validate().unwrap();
        // With fitted initial potentials: k more parameters, the last k, in their box.
        let q = TopologyParameterisation::with_initial_potentials(t.clone());
        let (lo, hi) = q.bounds();
        assert_eq!(lo.len(), t.parameter_count() + t.units);
        assert_eq!(q.parameter_count(), lo.len());
        assert_eq!(q.names().last().unwrap(), &format!("u0_{}", t.units));
        assert_eq!((lo[lo.len() - 1], hi[hi.len() - 1]), (-150.0, 150.0));
        let mut x: Vec<f64> = lo.iter().zip(&hi).map(|(a, b)| 0.5 * (a + b)).collect();
        let n = x.len();
        x[n - t.units..]
            .iter_mut()
            .enumerate()
            .for_each(|(i, u)| *u = i as f64);
        let network = q.network(&x).unwrap();
        network.validate().unwrap();
        assert_eq!(
            network.initial_state(),
            (0..t.units).map(|i| i as f64).collect::<Vec<_>>()
        );
    }
    let e = Topology::new(Family::TwoLayer, 2).unwrap_err().to_string();
    assert!(e.contains("two-layer") && e.contains("4..=6"), "{e}");
    assert!("star".parse::<Family>().is_err());
    assert_eq!("ring".parse::<Family>().unwrap(), Family::Ring);
}

#[test]
fn feedforward_wiring_acts_within_a_step_feedback_one_step_late() {
    // Unit 2 integrates unit 1 (index order: within the step); unit 1 integrates unit 2
    // (feedback: the previous step's value).
    let network = LifNetwork {
        leak: vec![0.0, 0.0],
        threshold: vec![1e9, 1e9],
        input_gain: vec![1.0, 0.0],
        weights: vec![0.0, 0.5, 1.0, 0.0], // W_12 = 0.5 (2 → 1), W_21 = 1 (1 → 2)
        reset: 0.0,
        dt: 1.0,
        initial: Vec::new(),
    };
    let mut u = network.initial_state();
    network.step(&mut u, 2.0).unwrap();
    // u1 = 0 + (2 + 0.5·0) = 2; u2 = 0 + 1·u1(new) = 2.
    assert_eq!(u, vec![2.0, 2.0]);
    network.step(&mut u, 0.0).unwrap();
    // u1 = 2 + 0.5·2 = 3; u2 = 2 + 3 = 5.
    assert_eq!(u, vec![3.0, 5.0]);
}

#[test]
fn joint_spike_needs_every_unit_and_resets_all() {
    let network = LifNetwork {
        leak: vec![0.0, 0.0],
        threshold: vec![5.0, 50.0],
        input_gain: vec![1.0, 2.0],
        weights: vec![0.0; 4],
        reset: -1.0,
        dt: 1.0,
        initial: Vec::new(),
    };
    let mut u = network.initial_state();
    assert_eq!(u, vec![-1.0, -1.0]);
    let mut fired_at = None;
    for k in 0..40 {
        if network.step(&mut u, 1.0).unwrap() {
            fired_at = Some(k);
            break;
        }
    }
    // Unit 2 is the slow one: −1 + 2(k + 1) > 50 first at k = 25; unit 1 has long been above 5.
    assert_eq!(fired_at, Some(25));
    assert_eq!(u, vec![-1.0, -1.0]);
}

#[test]
fn divergence_is_reported_not_hidden_by_the_reset() {
    // A mutually exciting pair with gain far above the leak grows without bound.
    let network = LifNetwork {
        leak: vec![0.0, 0.0],
        threshold: vec![f64::MAX, f64::MAX],
        input_gain: vec![1.0, 1.0],
        weights: vec![0.0, 1e6, 1e6, 0.0],
        reset: 0.0,
        dt: 1.0,
        initial: Vec::new(),
    };
    network.validate().unwrap();
    let e = network.run(&vec![1.0; 1000]).unwrap_err();
    assert_eq!(e.network, 1);
    assert!(e.t_ms < 1000.0);
    assert!(e.to_string().contains("diverged"), "{e}");
}

#[test]
fn validation_names_the_field() {
    let good = LifNetwork::from_slif2hh(&SLif2HhParams::default());
    let mut bad = good.clone();
    bad.threshold[2] = f64::NAN;
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("threshold"));
    let mut bad = good.clone();
    bad.weights.pop();
    assert!(bad.validate().unwrap_err().to_string().contains("weights"));
    let mut bad = good.clone();
    bad.leak[0] = 3.0;
    assert!(bad.validate().unwrap_err().to_string().contains("leak"));
    let mut bad = good;
    bad.dt = 0.0;
    assert!(bad.validate().unwrap_err().to_string().contains("dt"));
    let empty = LifNetwork {
        leak: vec![],
        threshold: vec![],
        input_gain: vec![],
        weights: vec![],
        reset: 0.0,
        dt: 1.0,
        initial: Vec::new(),
    };
    assert!(empty.validate().is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any s-LIF2HH parameters in the fitting box: the general model reproduces the chain.
    #[test]
    fn slif2hh_special_case_holds_across_the_box(
        leak in prop::array::uniform4(0.0f64..1.0),
        gain in prop::array::uniform3(0.0f64..4.0),
        weights in prop::array::uniform3(-1.0f64..1.0),
        threshold in 10.0f64..150.0,
        dt in 0.1f64..1.0,
        shape in 0usize..5,
    ) {
        let p = SLif2HhParams { leak, input_gain: gain, weights, threshold, reset: 0.0, dt };
        let (_, stimulus) = Stimulus::paper_shapes()[shape];
        let steps = (80.0 / dt).round() as usize;
        let currents = step_mean_currents(&stimulus, dt, steps);
        let chain = SLifChain { params: p, ..SLifChain::default() };
        let expected = chain.run_currents(&currents).unwrap();
        let got = LifNetwork::from_slif2hh(&p)
            .run_chain(&currents, PAPER_WEIGHT, StepStamp::Start)
            .unwrap();
        prop_assert_eq!(got, expected);
    }
}
