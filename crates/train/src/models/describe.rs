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
//! - `reference`: the schedule the authors' reference counts follow (PAPER.md §6: "over
//!   T = 15"): the definition's step-by-step schedule at [`REFERENCE_STEPS`] steps for every
//!   spiking model, whatever its own T, and s-LIF2HH-conv's layer-2 convolutions applied once
//!   per map and step to the sum of the four compartments' spikes (as `executed` does). For
//!   a model with T = 15 this is `definition`; for s-LIF2HH-conv (T = 10) it is the schedule
//!   under which its reference count reconciles like the other seven models' (the pipeline's
//!   `fig5b` experiment shows the arithmetic).

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

/// Time steps of the reference counting rule (PAPER.md §6: the reference counts are
/// "over T = 15" for every spiking model).
pub const REFERENCE_STEPS: usize = 15;

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
    /// Applications under the reference counting rule.
    pub reference: usize,
}

/// A model's inference, stage by stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// Which model.
    pub model: ModelKind,
    /// Time steps T.
    pub steps: usize,
    /// Time steps of the reference rule ([`REFERENCE_STEPS`]; 1 for the ANN and CNN).
    pub reference_steps: usize,
    /// Trainable scalars.
    pub parameters: usize,
    /// Stages in forward order.
    pub stages: Vec<Stage>,
}

/// A stage with its applications `[executed, definition, reference]`.
fn stage(
    name: impl Into<String>,
    part: Part,
    [executed, definition, reference]: [usize; 3],
) -> Stage {
    Stage {
        name: name.into(),
        part,
        executed,
        definition,
        reference,
    }
}

fn dense<S: Scalar>(name: &str, layer: &crate::linear::Linear<S>) -> Stage {
    let (inputs, outputs) = (layer.inputs(), layer.outputs());
    stage(
        format!("{name} {inputs}→{outputs}"),
        Part::Dense { inputs, outputs },
        [1; 3],
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
    let (kind, units) = match &m.hidden {
        Hidden::Lif(..) => (UnitKind::Lif, m.neurons()),
        Hidden::Hh(cell, _) => (hh_kind(&cell.gating), cell.neurons),
        Hidden::SLif2Hh(..) => (UnitKind::SLif2Hh, m.neurons()),
        Hidden::Ann(_) => (UnitKind::ReluStep, m.neurons()),
    };
    // The ANN has no time: one application in every convention.
    let (steps, reference_steps) = if kind == UnitKind::ReluStep {
        (1, 1)
    } else {
        (t, REFERENCE_STEPS)
    };
    let mut stages: Vec<Stage> = m
        .input
        .iter()
        .map(|map| {
            let mut s = dense("input", map);
            // Static image: once here, every step in the definition and the reference rule.
            (s.definition, s.reference) = (t, reference_steps);
            s
        })
        .collect();
    let per_step = [steps, steps, reference_steps];
    stages.push(stage("hidden cells", Part::Cells { kind, units }, per_step));
    if kind != UnitKind::ReluStep {
        let elements = m.features();
        stages.push(stage("spike count", Part::Add { elements }, per_step));
        stages.push(stage("mean over T", Part::Scale { elements }, [1; 3]));
    }
    stages.push(dense("readout", &m.readout));
    stages.push(dense("head1", &m.heads.head1));
    stages.push(dense("head2", &m.heads.head2));
    Description {
        model: m.kind(),
        steps: t,
        reference_steps,
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
    let reference_steps;
    if kind == UnitKind::ReluStep {
        reference_steps = 1;
        let relu = |units| Part::Cells {
            kind: UnitKind::ReluStep,
            units,
        };
        stages.push(stage("conv1", conv(&m.conv1[0]), [1; 3]));
        stages.push(stage("layer-1 ReLU-step", relu(units1), [1; 3]));
        stages.push(stage(
            "pool 1",
            Part::AvgPool2 {
                channels: c,
                side: side1,
            },
            [1; 3],
        ));
        stages.push(stage("conv2", conv(&m.conv2[0]), [1; 3]));
        stages.push(stage("layer-2 ReLU-step", relu(units2), [1; 3]));
        stages.push(stage(
            "pool 2",
            Part::AvgPool2 {
                channels: c,
                side: side2,
            },
            [1; 3],
        ));
    } else {
        let tr = REFERENCE_STEPS;
        reference_steps = tr;
        let outs = kind.outputs();
        let compartments = outs;
        let slif = kind == UnitKind::SLif2Hh;
        let is_hh = matches!(
            kind,
            UnitKind::HhConstantRates | UnitKind::HhVoltageDependent
        );
        let every_step = [t, t, tr];
        // Our engine's bookkeeping, absent from the definition and the reference rule.
        let engine_only = |per_image: usize| [per_image, 0, 0];
        for (i, map) in m.conv1.iter().enumerate() {
            stages.push(stage(format!("conv1 map {}", i + 1), conv(map), [1, t, tr]));
        }
        for (layer, units) in [(1, units1), (2, units2)] {
            stages.push(stage(
                format!("layer-{layer} cells"),
                Part::Cells { kind, units },
                every_step,
            ));
            // The cell's own spike count (its rate output is scratch in the conv models).
            stages.push(stage(
                format!("layer-{layer} unused spike count"),
                Part::Add {
                    elements: units * outs,
                },
                engine_only(t),
            ));
            if !slif {
                stages.push(stage(
                    format!("layer-{layer} unused rate"),
                    Part::Scale { elements: units },
                    engine_only(1),
                ));
            }
            if is_hh {
                stages.push(stage(
                    format!("layer-{layer} spikes recomputed from V"),
                    Part::Add { elements: units },
                    engine_only(t),
                ));
            }
            if layer == 1 {
                // s-LIF2HH-conv: the engine and the reference rule sum the four
                // compartments' spikes, then pool and convolve once per map (linearity);
                // the definition pools and convolves each compartment and sums the results.
                if slif {
                    stages.push(stage(
                        "layer-1 compartment sum",
                        Part::Add { elements: units1 },
                        [(compartments - 1) * t, 0, (compartments - 1) * tr],
                    ));
                }
                stages.push(stage(
                    "pool 1",
                    Part::AvgPool2 {
                        channels: c,
                        side: side1,
                    },
                    [t, compartments * t, tr],
                ));
                for (i, map) in m.conv2.iter().enumerate() {
                    stages.push(stage(
                        format!("conv2 map {}", i + 1),
                        conv(map),
                        [t, compartments * t, tr],
                    ));
                }
                if slif {
                    stages.push(stage(
                        "conv2 sum over compartments",
                        Part::Add { elements: units2 },
                        [0, (compartments - 1) * m.conv2.len() * t, 0],
                    ));
                }
            }
        }
        stages.push(stage(
            "layer-2 spike count",
            Part::Add {
                elements: units2 * outs,
            },
            every_step,
        ));
        stages.push(stage(
            "mean over T",
            Part::Scale {
                elements: units2 * outs,
            },
            [1; 3],
        ));
        stages.push(stage(
            "pool 2",
            Part::AvgPool2 {
                channels: c * compartments,
                side: side2,
            },
            [1; 3],
        ));
    }
    stages.push(dense("readout", &m.readout));
    stages.push(dense("head1", &m.heads.head1));
    stages.push(dense("head2", &m.heads.head2));
    Description {
        model: m.kind(),
        steps: t,
        reference_steps,
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
                [1, 15, 15]
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

    #[test]
    fn the_reference_rule_runs_slif2hh_conv_for_15_steps_on_summed_compartments() {
        let d = describe(ModelKind::SLif2HhConv);
        assert_eq!((d.steps, d.reference_steps), (10, REFERENCE_STEPS));
        let find = |name: &str| d.stages.iter().find(|s| s.name == name).unwrap();
        // Each of the three maps of both convolutions once per step, 15 steps.
        for name in ["conv1 map 1", "conv1 map 3", "conv2 map 2"] {
            assert_eq!(find(name).reference, 15, "{name}");
        }
        // Three additions sum the four compartments (12 960 positions) at each step;
        // no per-compartment convolution results are summed.
        let sum = find("layer-1 compartment sum");
        assert_eq!(
            (sum.part, sum.reference),
            (Part::Add { elements: 12960 }, 45)
        );
        assert_eq!(find("conv2 sum over compartments").reference, 0);
        assert_eq!(find("pool 1").reference, 15);
        assert_eq!(find("layer-1 unused spike count").reference, 0);
        assert_eq!(find("layer-2 cells").reference, 15);
    }

    #[test]
    fn with_15_steps_the_reference_rule_is_the_definition() {
        for kind in ModelKind::ALL {
            let d = describe(kind);
            if d.steps != REFERENCE_STEPS {
                continue;
            }
            for s in &d.stages {
                assert_eq!(s.reference, s.definition, "{kind}: {}", s.name);
            }
        }
        // The ANN has no time steps: one application in every rule.
        let ann = describe(ModelKind::Ann);
        assert_eq!(ann.reference_steps, 1);
        assert!(ann.stages.iter().all(|s| s.reference == 1));
    }

    #[test]
    fn hh_vd_fc_is_described_with_voltage_dependent_units() {
        let d = describe(ModelKind::HhVdFc);
        let cells = d.stages.iter().find(|s| s.name == "hidden cells").unwrap();
        assert_eq!(
            cells.part,
            Part::Cells {
                kind: UnitKind::HhVoltageDependent,
                units: 512
            }
        );
        assert_eq!((cells.definition, cells.reference), (15, 15));
    }
}
