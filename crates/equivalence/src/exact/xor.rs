//! The XOR circuit of Supp. Fig. 2.1 (PAPER.md §3, S2.1): two input units and one output
//! unit, as three HH neurons and as three tv-LIF2HH networks.
//!
//! Input unit A (B) receives a constant 40 µA/cm² when its input is on, 0 when off. The
//! output unit receives I(t) = +20·s_A(t) − 20·s_B(t) µA/cm², with s the level spike of
//! [`super::network`] (1 while V > −40 mV). 40 ms at dt = 0.001 ms from rest.
//!
//! Why it computes XOR: with one input on, the output gets a +20 µA/cm² pulse for the ≈ 2 ms
//! of each input spike and fires; with only B on it gets −20 µA/cm² pulses, which
//! hyperpolarise it and de-inactivate its sodium channels, and it fires on the rebound
//! (anode-break excitation, an HH property a plain LIF neuron lacks); with both on, the two
//! identical input units spike in synchrony and the pulses cancel exactly; with none on,
//! nothing happens. The output "fires" when it emits at least one spike.

use icnet_neurons::Integrator;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::network::{simulate_net, FeedForwardNet, NetComparison, RunSetting};
use super::{invalid, ExactError};

/// The circuit's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct XorSetting {
    /// Current into an input unit that is on (µA/cm²); 0 when off.
    pub input_current_ua: f64,
    /// Magnitude of the two weights onto the output (µA/cm² per unit level): +w from A, −w
    /// from B.
    pub weight_ua: f64,
    /// Time stepping.
    pub run: RunSetting,
}

impl XorSetting {
    /// The paper's setting (40 µA/cm², weight 20, 40 ms, dt = 0.001 ms) with `integrator`.
    pub fn paper(integrator: Integrator) -> Self {
        XorSetting {
            input_current_ua: 40.0,
            weight_ua: 20.0,
            run: RunSetting::paper(integrator),
        }
    }

    /// The network for inputs (A, B).
    pub fn network(&self, inputs: [bool; 2]) -> FeedForwardNet {
        let on = |x: bool| if x { self.input_current_ua } else { 0.0 };
        FeedForwardNet {
            layer1_currents: vec![on(inputs[0]), on(inputs[1])],
            weights: vec![self.weight_ua, -self.weight_ua],
            layer2_size: 1,
        }
    }
}

/// The four input combinations, in truth-table order.
pub const INPUTS: [[bool; 2]; 4] = [[false, false], [true, false], [false, true], [true, true]];

/// One input combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XorCase {
    /// Inputs (A, B).
    pub inputs: [bool; 2],
    /// Both circuits: `layer1` = (A, B), `layer2` = (output).
    pub net: NetComparison,
}

impl XorCase {
    /// XOR of the inputs: whether the output should fire.
    pub fn expected(&self) -> bool {
        self.inputs[0] ^ self.inputs[1]
    }

    /// Output spike counts (HH, tv-LIF2HH).
    pub fn output_spikes(&self) -> (usize, usize) {
        let out = &self.net.layer2[0];
        (out.spikes_hh.len(), out.spikes_tv.len())
    }
}

/// All four combinations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XorResult {
    /// The settings.
    pub setting: XorSetting,
    /// One case per input combination, in [`INPUTS`] order.
    pub cases: Vec<XorCase>,
}

impl XorResult {
    /// Largest |ΔV| over every unit, step and case (mV); `None` if anything diverged.
    pub fn max_abs_dv_mv(&self) -> Option<f64> {
        self.cases
            .iter()
            .map(|c| c.net.max_abs_dv_mv())
            .try_fold(0.0f64, |acc, d| d.map(|d| acc.max(d)))
    }

    /// Spike mismatches summed over every unit and case; `None` if anything diverged.
    pub fn spike_mismatches(&self) -> Option<usize> {
        self.cases
            .iter()
            .map(|c| c.net.spike_mismatches())
            .try_fold(0usize, |acc, m| m.map(|m| acc + m))
    }

    /// Whether the output fires exactly when A XOR B, for (HH, tv-LIF2HH).
    pub fn truth_table_holds(&self) -> (bool, bool) {
        let holds =
            |fires: &dyn Fn(&XorCase) -> bool| self.cases.iter().all(|c| fires(c) == c.expected());
        (
            holds(&|c| c.output_spikes().0 > 0),
            holds(&|c| c.output_spikes().1 > 0),
        )
    }
}

/// Simulates the four input combinations (in parallel).
pub fn run_xor(setting: &XorSetting) -> Result<XorResult, ExactError> {
    for (field, value) in [
        ("input_current_ua", setting.input_current_ua),
        ("weight_ua", setting.weight_ua),
    ] {
        if !value.is_finite() {
            return Err(invalid(field, value, "a finite number (µA/cm²)"));
        }
    }
    let cases = INPUTS
        .par_iter()
        .map(|&inputs| {
            simulate_net(&setting.network(inputs), &setting.run, true)
                .map(|net| XorCase { inputs, net })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(XorResult {
        setting: *setting,
        cases,
    })
}
