//! Analytic operation counts of one inference (Fig. 5b, PAPER.md §6): additions and
//! multiplications per 36×36 image over the model's T time steps.
//!
//! A model is described as a list of [`Layer`]s, each an [`Op`] applied a number of times per
//! inference. Three numbers of applications are kept: two honest ways to count the same
//! network, and the rule that reproduces the authors' reference counts:
//!
//! - [`Convention::Executed`]: what our engine runs. The image is static, so the first
//!   projection (or convolution) runs once, not T times; s-LIF2HH-conv sums its four
//!   compartments' spikes before each layer-2 convolution (linearity) instead of convolving
//!   each compartment; the conv models' cells also accumulate a spike count that the readout
//!   does not use (it pools the mean of the layer-2 spikes itself).
//! - [`Convention::Definition`]: what a step-by-step implementation of the model definition
//!   (PAPER.md §4) computes — the input projection at every step, every convolution on every
//!   compartment — at the model's own T.
//! - [`Convention::Reference`]: the rule the authors' reference counts follow (PAPER.md §6,
//!   "over T = 15"): the definition's step-by-step schedule (input projection or first
//!   convolution at every step) at T = 15 for every spiking model, and s-LIF2HH-conv's
//!   layer-2 convolutions applied once per map and step to the sum of the four compartments
//!   (linearity, as our engine does) instead of to each compartment. For the seven models
//!   whose T is 15 this is the definition convention; for s-LIF2HH-conv (T = 10) it is the
//!   only schedule that brings its reference count into line with the other seven (see the
//!   `fig5b` experiment's reconciliation table).
//!
//! What counts as one operation (both conventions), from the equations in the cells' code:
//!
//! - a dense layer `n_in → n_out`: `n_in·n_out` MUL and `n_in·n_out` ADD (`n_in − 1` to
//!   accumulate each dot product, one for the bias);
//! - a 3×3 convolution with zero padding ("same" output size): every output position
//!   multiplies all `9·c_in` taps, padding included (the engine does); ADD likewise
//!   `9·c_in` per output (accumulation plus bias);
//! - 2×2 average pooling: 3 ADD and 1 MUL (×¼) per output;
//! - a threshold `H(x − θ)` is one subtraction, counted as one ADD; a ReLU (`max(x, 0)`)
//!   one comparison, counted as one ADD;
//! - per-cell dynamics per unit and time step: see [`CellKind::ops_per_step`];
//! - transcendental functions and divisions are *not* folded into ADD and MUL: an `exp` (or
//!   `exp_m1`) is one EXP and a division (by a variable or a constant, as the code writes
//!   it) one DIV, both counted in their own fields of [`OpCount`]. Only the
//!   voltage-dependent HH has any; a sign change (`−v`) is not an operation;
//! - the mean spike rate over T: one ADD per spike train and step, one MUL (×1/T) per
//!   spike train.
//!
//! Not counted: memory traffic, the surrogate gradient (training only), loss and softmax,
//! and constants folded at compile time in a real deployment are counted as the code
//! computes them (e.g. `g_L·E_L` in the HH cell), so the counts are an upper bound of what an
//! optimised deployment needs.

use serde::{Deserialize, Serialize};

/// Which spiking (or binary) units a layer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellKind {
    /// Discrete LIF: `u ← λ·u·(1 − s) + I`, `s ← H(u − θ)`.
    Lif,
    /// HH with the reference's constant gating rates, forward Euler.
    HhConstantRates,
    /// HH with the voltage-dependent 1952 rates α_x(V), β_x(V), forward Euler.
    HhVoltageDependent,
    /// s-LIF2HH: four LIF compartments, the fourth driven by `a·u₁₋₃ + c`.
    SLif2Hh,
    /// ReLU then binary step `H(max(x, 0) − θ)` (ANN, CNN; no time).
    ReluStep,
}

/// Additions and multiplications, and the exponentials and divisions counted apart from them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCount {
    /// Additions and subtractions (threshold comparisons included).
    pub add: u64,
    /// Multiplications.
    pub mul: u64,
    /// Exponentials (`exp`, `exp_m1`), not converted into ADD or MUL.
    pub exp: u64,
    /// Divisions, not converted into MUL.
    pub div: u64,
}

impl OpCount {
    /// `add` ADD and `mul` MUL, no EXP or DIV.
    pub const fn new(add: u64, mul: u64) -> Self {
        Self {
            add,
            mul,
            exp: 0,
            div: 0,
        }
    }

    /// `add` ADD, `mul` MUL, `exp` EXP and `div` DIV.
    pub const fn with_transcendental(add: u64, mul: u64, exp: u64, div: u64) -> Self {
        Self { add, mul, exp, div }
    }

    /// The sum of two counts, usable in constants.
    pub const fn plus(self, other: OpCount) -> OpCount {
        Self::with_transcendental(
            self.add + other.add,
            self.mul + other.mul,
            self.exp + other.exp,
            self.div + other.div,
        )
    }

    /// This count `times` times.
    pub const fn times(self, times: u64) -> Self {
        Self::with_transcendental(
            self.add * times,
            self.mul * times,
            self.exp * times,
            self.div * times,
        )
    }

    /// Millions of additions.
    pub fn add_millions(self) -> f64 {
        self.add as f64 / 1e6
    }

    /// Millions of multiplications.
    pub fn mul_millions(self) -> f64 {
        self.mul as f64 / 1e6
    }
}

impl std::ops::Add for OpCount {
    type Output = OpCount;
    fn add(self, other: OpCount) -> OpCount {
        self.plus(other)
    }
}

impl std::iter::Sum for OpCount {
    fn sum<I: Iterator<Item = OpCount>>(iter: I) -> OpCount {
        iter.fold(OpCount::default(), |a, b| a + b)
    }
}

/// Parts of one HH Euler step (`crates/train/src/cells/hh.rs`, `HhCell::forward`), shared
/// by both gating forms.
pub mod hh_step {
    use super::OpCount;

    /// `HhCell::conductance`: `na = ḡ_Na·m·m·m·h`, `k = ḡ_K·n·n·n·n` (8 MUL);
    /// `G = na + k + g_L` (2 ADD); `Ē = na·E_Na + k·E_K + g_L·E_L` (3 MUL, 2 ADD).
    pub const CONDUCTANCE: OpCount = OpCount::new(4, 11);
    /// `V + (dt/C)·(I − G·V + Ē)` (`dt/C` is computed once per forward pass): 2 MUL, 3 ADD.
    pub const VOLTAGE: OpCount = OpCount::new(3, 2);
    /// One gate, `x + dt·(α(1 − x) − β·x)`: 3 MUL, 3 ADD; three gates m, h, n.
    pub const GATES: OpCount = OpCount::new(3, 3).times(3);
    /// The spike `H(V − θ)`: one subtraction.
    pub const THRESHOLD: OpCount = OpCount::new(1, 0);
    /// The six 1952 rates at V (`rates_1952`, values only: the slopes it also returns feed
    /// the backward pass, inference discards them). Away from the removable singularities
    /// (`|y| ≥ 0.1` in `x_over_expm1`, i.e. V more than 1 mV from 25 and from 10):
    ///
    /// - `α_m = y/(e^y − 1)`, `y = (25 − V)·0.1`: 1 ADD, 1 MUL, 1 EXP (`exp_m1`), 1 DIV;
    /// - `α_n = 0.1·y/(e^y − 1)`, `y = (10 − V)·0.1`: 1 ADD, 2 MUL, 1 EXP, 1 DIV;
    /// - `β_m = 4·exp(−V/18)`, `α_h = 0.07·exp(−V/20)`, `β_n = 0.125·exp(−V/80)`:
    ///   1 DIV, 1 EXP, 1 MUL each;
    /// - `β_h = 1/(q + 1)`, `q = exp((30 − V)·0.1)`: 2 ADD, 1 MUL, 1 EXP, 1 DIV
    ///
    /// → **4 ADD, 7 MUL, 6 EXP, 6 DIV**. (Within 1 mV of 25 or 10 the code evaluates a
    /// Taylor polynomial instead of `exp_m1`; the count keeps the general branch.)
    pub const RATES_1952: OpCount = OpCount::with_transcendental(4, 7, 6, 6);
}

impl CellKind {
    /// Operations per unit and time step, read off the cell's update in the training engine
    /// (`crates/train/src/cells/`):
    ///
    /// - LIF: `λ·u·(1 − s) + I` is 2 MUL, 2 ADD; `H(u − θ)` 1 ADD → **3 ADD, 2 MUL**.
    /// - HH (constant rates): [`hh_step::CONDUCTANCE`] (4 ADD, 11 MUL), the three
    ///   [`hh_step::GATES`] (9, 9), [`hh_step::VOLTAGE`] (3, 2) and the threshold (1, 0)
    ///   → **17 ADD, 22 MUL**. With constant rates the gates and conductances do not depend
    ///   on V, so the engine computes them once per neuron for a whole batch; for one image
    ///   that is the same count.
    /// - HH (voltage-dependent): the same step plus the six rates at V,
    ///   [`hh_step::RATES_1952`] (4 ADD, 7 MUL, 6 EXP, 6 DIV) → **21 ADD, 29 MUL, 6 EXP,
    ///   6 DIV**, every unit on its own (the gates depend on the unit's V).
    /// - s-LIF2HH: four LIF compartments (12 ADD, 8 MUL) and the drive of the fourth,
    ///   `c + a₁u₁ + a₂u₂ + a₃u₃` (3 MUL, 3 ADD) → **15 ADD, 11 MUL**.
    /// - ReLU-step: `max(x, 0)` and `H(· − θ)`, one comparison each → **2 ADD, 0 MUL**.
    pub const fn ops_per_step(self) -> OpCount {
        const HH_CONSTANT: OpCount = hh_step::CONDUCTANCE
            .plus(hh_step::GATES)
            .plus(hh_step::VOLTAGE)
            .plus(hh_step::THRESHOLD);
        match self {
            CellKind::Lif => OpCount::new(3, 2),
            CellKind::HhConstantRates => HH_CONSTANT,
            CellKind::HhVoltageDependent => HH_CONSTANT.plus(hh_step::RATES_1952),
            CellKind::SLif2Hh => OpCount::new(15, 11),
            CellKind::ReluStep => OpCount::new(2, 0),
        }
    }

    /// State variables a unit carries from one step to the next during inference: LIF `u`
    /// and `s` (the reset multiplies by `1 − s[t−1]`); HH (both gating forms) `V`, `m`, `h`,
    /// `n`; s-LIF2HH `u` and `s` of four compartments; ReLU-step none.
    pub const fn state_variables(self) -> u64 {
        match self {
            CellKind::Lif => 2,
            CellKind::HhConstantRates | CellKind::HhVoltageDependent => 4,
            CellKind::SLif2Hh => 8,
            CellKind::ReluStep => 0,
        }
    }

    /// Spike trains a unit emits (s-LIF2HH: one per compartment).
    pub const fn outputs(self) -> u64 {
        match self {
            CellKind::SLif2Hh => 4,
            _ => 1,
        }
    }
}

/// One operation of a model on one image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Dense layer `inputs → outputs` with bias.
    Dense {
        /// Input features.
        inputs: u64,
        /// Output features.
        outputs: u64,
    },
    /// 3×3-style convolution with zero padding, `side × side` in and out.
    Conv {
        /// Input channels.
        c_in: u64,
        /// Output channels.
        c_out: u64,
        /// Side of the (square) input and output maps.
        side: u64,
        /// Kernel side (3).
        kernel: u64,
    },
    /// 2×2 average pooling of `channels` maps of side `side` (output side `side / 2`).
    AvgPool2 {
        /// Channels.
        channels: u64,
        /// Input side.
        side: u64,
    },
    /// One time step of `units` cells.
    Cells {
        /// Cell type.
        kind: CellKind,
        /// Units (s-LIF2HH: four-compartment units).
        units: u64,
    },
    /// `elements` elementwise additions (spike counts, sums of compartments).
    Add {
        /// Elements.
        elements: u64,
    },
    /// `elements` elementwise multiplications by a constant (×1/T of a mean).
    Scale {
        /// Elements.
        elements: u64,
    },
}

impl Op {
    /// Operations of one application.
    pub fn ops(self) -> OpCount {
        match self {
            Op::Dense { inputs, outputs } => OpCount::new(inputs * outputs, inputs * outputs),
            Op::Conv {
                c_in,
                c_out,
                side,
                kernel,
            } => {
                let taps = side * side * c_out * kernel * kernel * c_in;
                OpCount::new(taps, taps)
            }
            Op::AvgPool2 { channels, side } => {
                let out = (side / 2) * (side / 2) * channels;
                OpCount::new(3 * out, out)
            }
            Op::Cells { kind, units } => kind.ops_per_step().times(units),
            Op::Add { elements } => OpCount::new(elements, 0),
            Op::Scale { elements } => OpCount::new(0, elements),
        }
    }
}

/// Which applications to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Convention {
    /// What our engine executes (static input projected once, linearity exploited).
    Executed,
    /// What a step-by-step implementation of the model definition computes, at the model's T.
    Definition,
    /// The rule the authors' reference counts follow: the definition's step-by-step
    /// schedule at T = 15, with s-LIF2HH-conv's layer-2 convolutions on the summed
    /// compartments (see the module documentation).
    Reference,
}

/// An operation and how often it is applied per inference of one image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// What it is, e.g. `"input 1296→512"`.
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Applications under [`Convention::Executed`].
    pub executed: u64,
    /// Applications under [`Convention::Definition`].
    pub definition: u64,
    /// Applications under [`Convention::Reference`].
    pub reference: u64,
}

impl Layer {
    /// Applications under `convention`.
    pub fn applications(&self, convention: Convention) -> u64 {
        match convention {
            Convention::Executed => self.executed,
            Convention::Definition => self.definition,
            Convention::Reference => self.reference,
        }
    }

    /// Operations of this layer per inference under `convention`.
    pub fn count(&self, convention: Convention) -> OpCount {
        self.op.ops().times(self.applications(convention))
    }
}

/// A model as a list of layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelOps {
    /// Model id.
    pub model: String,
    /// Time steps T of the model.
    pub steps: u64,
    /// Time steps of [`Convention::Reference`] (15 for the spiking models, 1 without time).
    pub reference_steps: u64,
    /// Layers in forward order.
    pub layers: Vec<Layer>,
}

impl ModelOps {
    /// Total operations per inference of one image under `convention`.
    pub fn count(&self, convention: Convention) -> OpCount {
        self.layers.iter().map(|l| l.count(convention)).sum()
    }

    /// Total operations of the synapses alone (every dense layer and convolution) under
    /// `convention`: what remains of a total after subtracting this is the per-neuron work
    /// (cells, spike counts, pooling, sums of compartments).
    pub fn synaptic_count(&self, convention: Convention) -> OpCount {
        self.layers
            .iter()
            .filter(|l| matches!(l.op, Op::Dense { .. } | Op::Conv { .. }))
            .map(|l| l.count(convention))
            .sum()
    }

    /// Time steps T under `convention`.
    pub fn steps_under(&self, convention: Convention) -> u64 {
        match convention {
            Convention::Executed | Convention::Definition => self.steps,
            Convention::Reference => self.reference_steps,
        }
    }

    /// Bytes of neuron state carried between time steps for one image, with `bytes_per_value`
    /// bytes per number (4 for f32): Σ over cell layers of units × state variables.
    pub fn state_bytes(&self, bytes_per_value: u64) -> u64 {
        // A layer's state is counted once however often it is stepped.
        self.distinct_cells()
            .map(|(kind, units)| units * kind.state_variables() * bytes_per_value)
            .sum()
    }

    /// Neurons (spike trains) of the spiking layers: units × outputs per unit.
    pub fn neurons(&self) -> u64 {
        self.distinct_cells()
            .map(|(kind, units)| units * kind.outputs())
            .sum()
    }

    /// Units of the spiking layers (an s-LIF2HH unit of four compartments is one unit).
    pub fn units(&self) -> u64 {
        self.distinct_cells().map(|(_, units)| units).sum()
    }

    /// `(kind, units)` of each cell layer, once however often it is stepped.
    fn distinct_cells(&self) -> impl Iterator<Item = (CellKind, u64)> + '_ {
        let mut names: Vec<&str> = Vec::new();
        self.layers.iter().filter_map(move |l| match l.op {
            Op::Cells { kind, units } if !names.contains(&l.name.as_str()) => {
                names.push(&l.name);
                Some((kind, units))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, op: Op, executed: u64, definition: u64) -> Layer {
        Layer {
            name: name.into(),
            op,
            executed,
            definition,
            reference: definition,
        }
    }

    /// A tiny fc model counted by hand: 4 inputs → 3 LIF units, T = 2, rate → 2 outputs.
    #[test]
    fn a_tiny_lif_network_counted_by_hand() {
        let model = ModelOps {
            model: "tiny".into(),
            steps: 2,
            reference_steps: 2,
            layers: vec![
                layer(
                    "input",
                    Op::Dense {
                        inputs: 4,
                        outputs: 3,
                    },
                    1,
                    2,
                ),
                layer(
                    "lif",
                    Op::Cells {
                        kind: CellKind::Lif,
                        units: 3,
                    },
                    2,
                    2,
                ),
                layer("count", Op::Add { elements: 3 }, 2, 2),
                layer("mean", Op::Scale { elements: 3 }, 1, 1),
                layer(
                    "readout",
                    Op::Dense {
                        inputs: 3,
                        outputs: 2,
                    },
                    1,
                    1,
                ),
            ],
        };
        // Executed: input 12 MUL + 12 ADD (3 outputs × (3 accumulations + 1 bias));
        // LIF 2 steps × 3 units × (3 ADD, 2 MUL) = 18 ADD, 12 MUL; count 6 ADD; mean 3 MUL;
        // readout 6 MUL + 6 ADD.
        assert_eq!(
            model.count(Convention::Executed),
            OpCount::new(12 + 18 + 6 + 6, 12 + 12 + 3 + 6)
        );
        // Definition: the input projection twice.
        assert_eq!(
            model.count(Convention::Definition),
            OpCount::new(24 + 18 + 6 + 6, 24 + 12 + 3 + 6)
        );
        assert_eq!(model.state_bytes(4), 3 * 2 * 4);
        assert_eq!(model.neurons(), 3);
    }

    /// A tiny conv layer counted by hand: 1 → 2 channels, 4×4, 3×3 kernel, then 2×2 pooling,
    /// then one step of HH cells on the 2 × 2 × 2 pooled map, then s-LIF2HH.
    #[test]
    fn conv_pool_and_cells_counted_by_hand() {
        let conv = Op::Conv {
            c_in: 1,
            c_out: 2,
            side: 4,
            kernel: 3,
        };
        // 16 positions × 2 channels × 9 taps.
        assert_eq!(conv.ops(), OpCount::new(288, 288));
        let pool = Op::AvgPool2 {
            channels: 2,
            side: 4,
        };
        // 2×2 outputs × 2 channels, 3 ADD + 1 MUL each.
        assert_eq!(pool.ops(), OpCount::new(24, 8));
        let hh = Op::Cells {
            kind: CellKind::HhConstantRates,
            units: 8,
        };
        assert_eq!(hh.ops(), OpCount::new(8 * 17, 8 * 22));
        let slif = Op::Cells {
            kind: CellKind::SLif2Hh,
            units: 2,
        };
        // Four LIF compartments (4 × (3, 2)) plus the 3→1 mix (3, 3).
        assert_eq!(slif.ops(), OpCount::new(2 * (12 + 3), 2 * (8 + 3)));
        let model = ModelOps {
            model: "tiny-conv".into(),
            steps: 3,
            reference_steps: 3,
            layers: vec![
                layer("conv", conv, 1, 3),
                layer("pool", pool, 3, 3),
                layer("hh", hh, 3, 3),
                layer("slif", slif, 3, 3),
            ],
        };
        assert_eq!(
            model.count(Convention::Executed),
            OpCount::new(288 + 72 + 408 + 90, 288 + 24 + 528 + 66)
        );
        assert_eq!(
            model.count(Convention::Definition).mul,
            3 * 288 + 24 + 528 + 66
        );
        // HH: 8 units × 4 variables; s-LIF2HH: 2 units × 8; counted once despite 3 steps.
        assert_eq!(model.state_bytes(4), (8 * 4 + 2 * 8) * 4);
        assert_eq!(model.neurons(), 8 + 2 * 4);
    }

    #[test]
    fn a_relu_step_has_no_multiplications_and_no_state() {
        let op = Op::Cells {
            kind: CellKind::ReluStep,
            units: 5,
        };
        assert_eq!(op.ops(), OpCount::new(10, 0));
        assert_eq!(CellKind::ReluStep.state_variables(), 0);
        assert!((OpCount::new(2_500_000, 10_000).add_millions() - 2.5).abs() < 1e-12);
    }

    /// A tiny fc model with voltage-dependent HH units counted by hand: 4 inputs → 3 units,
    /// T = 2, rate → 2 outputs.
    #[test]
    fn a_tiny_voltage_dependent_hh_network_counted_by_hand() {
        // Per unit-step, from `HhCell::forward` (VoltageDependent) and `rates_1952`:
        // conductance 8 + 3 MUL, 2 + 2 ADD; rates α_m (25 − V, ·0.1, exp_m1, y/d),
        // α_n (10 − V, ·0.1, exp_m1, y/d, ·0.1), β_m, α_h, β_n (−V/c, exp, ·c each),
        // β_h ((30 − V)·0.1, exp, + 1, 1/·): 4 ADD, 7 MUL, 6 EXP, 6 DIV; gates 3 × (3 ADD,
        // 3 MUL); V 3 ADD, 2 MUL; threshold 1 ADD.
        let add = 4 + 4 + 9 + 3 + 1;
        let mul = 11 + 7 + 9 + 2;
        let per_step = OpCount::with_transcendental(add, mul, 6, 6);
        assert_eq!(per_step, OpCount::with_transcendental(21, 29, 6, 6));
        assert_eq!(CellKind::HhVoltageDependent.ops_per_step(), per_step);
        // The constant-rate cell is the same step without the rates.
        assert_eq!(
            CellKind::HhConstantRates.ops_per_step(),
            OpCount::new(add - 4, mul - 7)
        );
        let model = ModelOps {
            model: "tiny-hh-vd".into(),
            steps: 2,
            reference_steps: 2,
            layers: vec![
                layer(
                    "input",
                    Op::Dense {
                        inputs: 4,
                        outputs: 3,
                    },
                    1,
                    2,
                ),
                layer(
                    "hh",
                    Op::Cells {
                        kind: CellKind::HhVoltageDependent,
                        units: 3,
                    },
                    2,
                    2,
                ),
                layer("count", Op::Add { elements: 3 }, 2, 2),
                layer("mean", Op::Scale { elements: 3 }, 1, 1),
                layer(
                    "readout",
                    Op::Dense {
                        inputs: 3,
                        outputs: 2,
                    },
                    1,
                    1,
                ),
            ],
        };
        // Definition: input 2 × 12; cells 2 steps × 3 units × (21, 29, 6, 6); count 6 ADD;
        // mean 3 MUL; readout 6 + 6.
        assert_eq!(
            model.count(Convention::Definition),
            OpCount::with_transcendental(24 + 126 + 6 + 6, 24 + 174 + 3 + 6, 36, 36)
        );
        // Only the dense layers are synapses.
        assert_eq!(
            model.synaptic_count(Convention::Definition),
            OpCount::new(24 + 6, 24 + 6)
        );
        assert_eq!(model.state_bytes(4), 3 * 4 * 4);
        assert_eq!((model.units(), model.neurons()), (3, 3));
    }

    /// The reference convention reads its own applications and its own T.
    #[test]
    fn the_reference_convention_counts_its_own_applications() {
        let conv = Op::Conv {
            c_in: 1,
            c_out: 1,
            side: 2,
            kernel: 3,
        };
        let slif = Op::Cells {
            kind: CellKind::SLif2Hh,
            units: 4,
        };
        let model = ModelOps {
            model: "tiny-ref".into(),
            steps: 2,
            reference_steps: 3,
            layers: vec![
                Layer {
                    name: "conv".into(),
                    op: conv,
                    executed: 1,
                    definition: 8,
                    reference: 3,
                },
                Layer {
                    name: "cells".into(),
                    op: slif,
                    executed: 2,
                    definition: 2,
                    reference: 3,
                },
            ],
        };
        // conv: 4 positions × 9 taps = 36 of each; cells 4 × (15, 11) per step.
        assert_eq!(
            model.count(Convention::Reference),
            OpCount::new(3 * 36 + 3 * 60, 3 * 36 + 3 * 44)
        );
        assert_eq!(
            model.count(Convention::Definition),
            OpCount::new(8 * 36 + 2 * 60, 8 * 36 + 2 * 44)
        );
        assert_eq!(
            model.synaptic_count(Convention::Reference),
            OpCount::new(108, 108)
        );
        assert_eq!(model.steps_under(Convention::Reference), 3);
        assert_eq!(model.steps_under(Convention::Definition), 2);
        assert_eq!((model.units(), model.neurons()), (4, 16));
    }
}
