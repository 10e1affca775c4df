//! What one inference of an instantiated model computes, stage by stage, read from its real
//! parameter shapes and configuration (for the operation counts of Fig. 5b and the state
//! memory of the cost table; the counting itself lives in `icnet_analysis::cost`, which the
//! pipeline maps these stages onto).
//!
//! Each [`Stage`] says how often it runs per image in two conventions:
//! - `executed`: what this engine's forward pass runs. The image is static, so the first
//!   projection or convolution runs once; s-LIF2HH-conv sums its compartments' spikes before
//!   pooling and the layer-2 convolutions (one convolution per map instead of four); the conv
//!   models' cells also keep a spike count the readout does not use, and HH-conv recomputes
//!   its spikes from the voltage tape for pooling.
//! - `definition`: what a step-by-step implementation of the model definition (PAPER.md §4)
//!   runs: the input projection at every step, each layer-2 convolution on each compartment.

use super::{ConvHidden, ConvModel, FcModel, Hidden, ModelKind};
use crate::cells::HhGating;
use crate::scalar::Scalar;

/// The units of a spiking (or binary) layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    /// Discrete LIF.
    Lif,
    /// HH with constant gating rates.
    HhConstantRates,
    /// HH with the voltage-dependent 1952 rates.
    HhVoltageDependent,
    /// s-LIF2HH (four compartments per unit).
    SLif2Hh,
    /// ReLU then binary step.
    ReluStep,
}

impl UnitKind {
    /// Spike trains per unit.
    pub fn outputs(self) -> usize {
        if self == UnitKind::SLif2Hh {
            4
        } else {
            1
        }
    }
}

/// One kind of computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Dense layer with bias.
    Dense {
        /// Input features.
        inputs: usize,
        /// Output features.
        outputs: usize,
    },
    /// Zero-padded convolution, `side × side` in and out.
    Conv {
        /// Input channels.
        c_in: usize,
        /// Output channels.
        c_out: usize,
        /// Map side.
        side: usize,
        /// Kernel side.
        kernel: usize,
    },
    /// 2×2 average pooling of `channels` maps of side `side`.
    AvgPool2 {
        /// Channels.
        channels: usize,
        /// Input side.
        side: usize,
    },
    /// One time step of `units` cells.
    Cells {
        /// Unit type.
        kind: UnitKind,
        /// Units.
        units: usize,
    },
    /// Elementwise additions (or threshold subtractions).
    Add {
        /// Elements.
        elements: usize,
    },
    /// Elementwise multiplications by a constant.
    Scale {
        /// Elements.
        elements: usize,
    },
}

/// A part and how often one image runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// What it is.
    pub name: String,
    /// The computation.
    pub part: Part,
    /// Applications in this engine's forward pass.
    pub executed: usize,
    /// Applications in a step-by-step implementation of the definition.
    pub definition: usize,
}

/// A model's inference, stage by stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// Which model.
    pub model: ModelKind,
    /// Time steps T.
    pub steps: usize,
    /// Trainable scalars.
    pub parameters: usize,
    /// Stages in forward order.
    pub stages: Vec<Stage>,
}

fn stage(name: impl Into<String>, part: Part, executed: usize, definition: usize) -> Stage {
    Stage {
        name: name.into(),
        part,
        executed,
        definition,
    }
}

fn dense<S: Scalar>(name: &str, layer: &crate::linear::Linear<S>) -> Stage {
    let (inputs, outputs) = (layer.inputs(), layer.outputs());
    stage(
        format!("{name} {inputs}→{outputs}"),
        Part::Dense { inputs, outputs },
        1,
        1,
    )
}

fn hh_kind<S>(gating: &HhGating<S>) -> UnitKind {
    match gating {
        HhGating::ConstantRates(_) => UnitKind::HhConstantRates,
        HhGating::VoltageDependent => UnitKind::HhVoltageDependent,
    }
}

/// Builds `kind` with the reference configuration (seed 0) and describes it.
pub fn describe(kind: ModelKind) -> Description {
    if kind.is_conv() {
        describe_conv(&ConvModel::<f32>::new(kind, 0))
    } else {
        describe_fc(&FcModel::<f32>::new(kind, 0))
    }
}

/// Describes a fully-connected model.
pub fn describe_fc<S: Scalar>(m: &FcModel<S>) -> Description {
    use super::Network;
    let t = m.steps();
    let mut stages: Vec<Stage> = m
        .input
        .iter()
        .map(|map| {
            let mut s = dense("input", map);
            // Static image: once here, every step in the definition.
            s.definition = t;
            s
        })
        .collect();
    let (kind, units, steps) = match &m.hidden {
        Hidden::Lif(..) => (UnitKind::Lif, m.neurons(), t),
        Hidden::Hh(cell, _) => (hh_kind(&cell.gating), cell.neurons, t),
        Hidden::SLif2Hh(..) => (UnitKind::SLif2Hh, m.neurons(), t),
        Hidden::Ann(_) => (UnitKind::ReluStep, m.neurons(), 1),
    };
    stages.push(stage(
        "hidden cells",
        Part::Cells { kind, units },
        steps,
        steps,
    ));
    if kind != UnitKind::ReluStep {
        let elements = m.features();
        stages.push(stage("spike count", Part::Add { elements }, t, t));
        stages.push(stage("mean over T", Part::Scale { elements }, 1, 1));
    }
    stages.push(dense("readout", &m.readout));
    stages.push(dense("head1", &m.head1));
    stages.push(dense("head2", &m.head2));
    Description {
        model: m.kind(),
        steps: t,
        parameters: m.params().iter().map(|p| p.len()).sum(),
        stages,
    }
}

/// Describes a convolutional model.
pub fn describe_conv<S: Scalar>(m: &ConvModel<S>) -> Description {
    use super::Network;
    let t = m.steps();
    let c = m.channels();
    let conv = |conv: &crate::conv::Conv2d<S>| Part::Conv {
        c_in: conv.c_in(),
        c_out: conv.c_out(),
        side: conv.side,
        kernel: conv.weight.shape[1],
    };
    let (side1, side2) = (m.conv1[0].side, m.conv2[0].side);
    let (units1, units2) = (side1 * side1 * c, side2 * side2 * c);
    let mut stages = Vec::new();
    let kind = match &m.hidden {
        ConvHidden::Lif(..) => UnitKind::Lif,
        ConvHidden::Hh(cells, _) => hh_kind(&cells[0].gating),
        ConvHidden::SLif2Hh(..) => UnitKind::SLif2Hh,
        ConvHidden::Cnn(_) => UnitKind::ReluStep,
    };
    if kind == UnitKind::ReluStep {
        let relu = |units| Part::Cells {
            kind: UnitKind::ReluStep,
            units,
        };
        stages.push(stage("conv1", conv(&m.conv1[0]), 1, 1));
        stages.push(stage("layer-1 ReLU-step", relu(units1), 1, 1));
        stages.push(stage(
            "pool 1",
            Part::AvgPool2 {
                channels: c,
                side: side1,
            },
            1,
            1,
        ));
        stages.push(stage("conv2", conv(&m.conv2[0]), 1, 1));
        stages.push(stage("layer-2 ReLU-step", relu(units2), 1, 1));
        stages.push(stage(
            "pool 2",
            Part::AvgPool2 {
                channels: c,
                side: side2,
            },
            1,
            1,
        ));
    } else {
        let outs = kind.outputs();
        let compartments = outs;
        let is_hh = matches!(
            kind,
            UnitKind::HhConstantRates | UnitKind::HhVoltageDependent
        );
        for (i, map) in m.conv1.iter().enumerate() {
            stages.push(stage(format!("conv1 map {}", i + 1), conv(map), 1, t));
        }
        for (layer, units) in [(1, units1), (2, units2)] {
            stages.push(stage(
                format!("layer-{layer} cells"),
                Part::Cells { kind, units },
                t,
                t,
            ));
            // The cell's own spike count (its rate output is scratch in the conv models).
            stages.push(stage(
                format!("layer-{layer} unused spike count"),
                Part::Add {
                    elements: units * outs,
                },
                t,
                0,
            ));
            if kind != UnitKind::SLif2Hh {
                stages.push(stage(
                    format!("layer-{layer} unused rate"),
                    Part::Scale { elements: units },
                    1,
                    0,
                ));
            }
            if is_hh {
                stages.push(stage(
                    format!("layer-{layer} spikes recomputed from V"),
                    Part::Add { elements: units },
                    t,
                    0,
                ));
            }
            if layer == 1 {
                if kind == UnitKind::SLif2Hh {
                    stages.push(stage(
                        "layer-1 compartment sum",
                        Part::Add { elements: units1 },
                        (compartments - 1) * t,
                        0,
                    ));
                }
                stages.push(stage(
                    "pool 1",
                    Part::AvgPool2 {
                        channels: c,
                        side: side1,
                    },
                    t,
                    compartments * t,
                ));
                for (i, map) in m.conv2.iter().enumerate() {
                    stages.push(stage(
                        format!("conv2 map {}", i + 1),
                        conv(map),
                        t,
                        compartments * t,
                    ));
                }
                if kind == UnitKind::SLif2Hh {
                    stages.push(stage(
                        "conv2 sum over compartments",
                        Part::Add { elements: units2 },
                        0,
                        (compartments - 1) * m.conv2.len() * t,
                    ));
                }
            }
        }
        stages.push(stage(
            "layer-2 spike count",
            Part::Add {
                elements: units2 * outs,
            },
            t,
            t,
        ));
        stages.push(stage(
            "mean over T",
            Part::Scale {
                elements: units2 * outs,
            },
            1,
            1,
        ));
        stages.push(stage(
            "pool 2",
            Part::AvgPool2 {
                channels: c * compartments,
                side: side2,
            },
            1,
            1,
        ));
    }
    stages.push(dense("readout", &m.readout));
    stages.push(dense("head1", &m.head1));
    stages.push(dense("head2", &m.head2));
    Description {
        model: m.kind(),
        steps: t,
        parameters: m.params().iter().map(|p| p.len()).sum(),
        stages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parameters implied by the described layers (weights and biases of every dense layer
    /// and convolution, once per distinct layer, plus the s-LIF2HH 3→1 map).
    fn implied_parameters(d: &Description) -> usize {
        let mut total = 0;
        for s in &d.stages {
            total += match s.part {
                Part::Dense { inputs, outputs } => inputs * outputs + outputs,
                Part::Conv {
                    c_in,
                    c_out,
                    kernel,
                    ..
                } => c_out * kernel * kernel * c_in + c_out,
                _ => 0,
            };
        }
        let slif = d
            .stages
            .iter()
            .any(|s| matches!(s.part, Part::Cells { kind, .. } if kind == UnitKind::SLif2Hh));
        total + if slif { 4 } else { 0 }
    }

    #[test]
    fn every_model_is_described_by_its_real_shapes() {
        for kind in ModelKind::ALL {
            let d = describe(kind);
            assert_eq!(d.parameters, implied_parameters(&d), "{kind}");
            assert_eq!(d.steps, kind.hyper().steps, "{kind}");
        }
    }

    #[test]
    fn lif_fc_projects_its_static_input_once_and_the_definition_every_step() {
        let d = describe(ModelKind::LifFc);
        assert_eq!(
            d.stages[0],
            stage(
                "input 1296→512",
                Part::Dense {
                    inputs: 1296,
                    outputs: 512
                },
                1,
                15
            )
        );
        assert_eq!(
            d.stages[1].part,
            Part::Cells {
                kind: UnitKind::Lif,
                units: 512
            }
        );
        let slif = describe(ModelKind::SLif2HhFc);
        assert_eq!(
            slif.stages
                .iter()
                .filter(|s| s.name.starts_with("input"))
                .count(),
            3
        );
        assert!(slif.stages.iter().any(|s| s.name == "readout 2048→50"));
    }

    #[test]
    fn slif2hh_conv_convolves_summed_compartments_but_the_definition_each() {
        let d = describe(ModelKind::SLif2HhConv);
        let conv2: Vec<_> = d
            .stages
            .iter()
            .filter(|s| s.name.starts_with("conv2 map"))
            .collect();
        assert_eq!(conv2.len(), 3);
        assert!(conv2.iter().all(|s| s.executed == 10 && s.definition == 40));
        assert!(d.stages.iter().any(|s| s.name == "readout 3240→50"));
    }
}
