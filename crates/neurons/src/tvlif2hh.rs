//! tv-LIF2HH: one Hodgkin–Huxley neuron as a network of four time-varying LIF units
//! (PAPER.md §2.3).
//!
//! Three *channel* units u_Na, u_K, u_L are unit-capacitance tv-LIF neurons with rest
//! E_i driven by I/g(t):   du_i/dt = −(u_i − E_i) + I/g(t).
//! Their conductance-weighted changes accumulate in F:   dF/dt = Σ_i g_i du_i/dt / C.
//! A fourth *integrating* unit has capacitance C/g(t), rest 0 and input
//! −F + Σ_i g_i u_i / g:   (C/g) du₄/dt = −u₄ − F + Σ_i g_i u_i / g.
//! The output is V = F + u₄, and differentiating gives
//! C dV/dt = Σ g_i(−u_i + E_i) + I − gF − g u₄ + Σ g_i u_i = −Σ_i g_i (V − E_i) + I,
//! the HH membrane equation. (The paper writes dF/dt = Σ g_i du_i/dt; the 1/C here makes
//! the identity hold for any C and is the paper's form at C = 1 µF/cm².)
//!
//! In the *closed-loop* form the gates, hence g_i, are driven by the network's own
//! V = F + u₄; in the *driven* form g_i(t) is supplied from outside (for instance by a
//! companion HH simulation, see [`DrivenByHh`]).
//!
//! Why the equivalence survives discretisation: an explicit Runge–Kutta step is a fixed
//! linear combination of right-hand-side evaluations, so the affine identity
//! V = F + u₄ holds for the discrete iterates as well: with the same gates, one Euler or
//! RK4 step of (F, u₄) moves F + u₄ by exactly the HH step of V, up to rounding.

use serde::{Deserialize, Serialize};

use crate::hh::{gate_derivatives, rates, rush_larsen, Conductances, HhParams, HhState};
use crate::ode::{Integrator, OdeState, OdeSystem};

/// Potentials of the four units and the accumulator F (mV).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UnitPotentials {
    /// Sodium channel unit u_Na.
    pub u_na: f64,
    /// Potassium channel unit u_K.
    pub u_k: f64,
    /// Leak channel unit u_L.
    pub u_l: f64,
    /// Accumulated conductance-weighted change F.
    pub f: f64,
    /// Integrating unit u₄.
    pub u4: f64,
}
crate::impl_ode_state!(UnitPotentials {
    u_na,
    u_k,
    u_l,
    f,
    u4
});

impl UnitPotentials {
    /// The network's output potential V = F + u₄.
    #[inline(always)]
    pub fn v(&self) -> f64 {
        self.f + self.u4
    }

    /// A network whose output is `v`: channel units at `v`, F = 0, u₄ = v. With this
    /// choice unit 4 starts at its own rest (−F + Σ g_i u_i / g = v).
    pub fn at(v: f64) -> Self {
        UnitPotentials {
            u_na: v,
            u_k: v,
            u_l: v,
            f: 0.0,
            u4: v,
        }
    }

    /// Right-hand side of the four units for conductances `g` and current `i`.
    #[inline(always)]
    fn derivative(&self, p: &HhParams, g: &Conductances, current: f64) -> UnitPotentials {
        let g_total = g.total();
        let drive = current / g_total;
        let du_na = -(self.u_na - p.e_na) + drive;
        let du_k = -(self.u_k - p.e_k) + drive;
        let du_l = -(self.u_l - p.e_l) + drive;
        let weighted = (g.g_na * self.u_na + g.g_k * self.u_k + g.g_l * self.u_l) / g_total;
        UnitPotentials {
            u_na: du_na,
            u_k: du_k,
            u_l: du_l,
            f: (g.g_na * du_na + g.g_k * du_k + g.g_l * du_l) / p.c_m,
            u4: g_total / p.c_m * (-self.u4 - self.f + weighted),
        }
    }

    /// Exponential-Euler step with frozen g: each channel unit relaxes exactly to
    /// E_i + I/g with τ = 1 ms; F gains Σ g_i Δu_i / C (exact for frozen g); u₄ relaxes
    /// to −F + Σ g_i u_i / g with τ = C/g, using the values at the start of the step.
    fn exp_euler(&self, p: &HhParams, g: &Conductances, current: f64, dt: f64) -> Self {
        let g_total = g.total();
        let drive = current / g_total;
        let decay = (-dt).exp();
        let relax = |u: f64, e: f64| (e + drive) + (u - (e + drive)) * decay;
        let (u_na, u_k, u_l) = (
            relax(self.u_na, p.e_na),
            relax(self.u_k, p.e_k),
            relax(self.u_l, p.e_l),
        );
        let f = self.f
            + (g.g_na * (u_na - self.u_na) + g.g_k * (u_k - self.u_k) + g.g_l * (u_l - self.u_l))
                / p.c_m;
        let u4_inf = -self.f + (g.g_na * self.u_na + g.g_k * self.u_k + g.g_l * self.u_l) / g_total;
        let u4 = u4_inf + (self.u4 - u4_inf) * (-dt * g_total / p.c_m).exp();
        UnitPotentials {
            u_na,
            u_k,
            u_l,
            f,
            u4,
        }
    }
}

/// State of the closed-loop tv-LIF2HH network: the four units plus the gates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TvLif2HhState {
    /// The unit potentials.
    pub units: UnitPotentials,
    /// Sodium activation m.
    pub m: f64,
    /// Sodium inactivation h.
    pub h: f64,
    /// Potassium activation n.
    pub n: f64,
}

impl OdeState for TvLif2HhState {
    #[inline(always)]
    fn axpy(&self, a: f64, o: &Self) -> Self {
        TvLif2HhState {
            units: self.units.axpy(a, &o.units),
            m: self.m + a * o.m,
            h: self.h + a * o.h,
            n: self.n + a * o.n,
        }
    }
}

impl TvLif2HhState {
    /// The network equivalent to HH state `s`: output V = s.v and the same gates.
    pub fn from_hh(s: &HhState) -> Self {
        TvLif2HhState {
            units: UnitPotentials::at(s.v),
            m: s.m,
            h: s.h,
            n: s.n,
        }
    }

    /// Output potential V = F + u₄.
    #[inline(always)]
    pub fn v(&self) -> f64 {
        self.units.v()
    }
}

/// The closed-loop network: gates driven by the network's own V = F + u₄.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClosedLoop {
    /// The HH membrane whose channels the units represent.
    pub params: HhParams,
}

impl OdeSystem for ClosedLoop {
    type State = TvLif2HhState;
    type Input = f64;
    #[inline(always)]
    fn derivative(&self, _t: f64, s: &TvLif2HhState, current: f64) -> TvLif2HhState {
        let p = &self.params;
        let r = rates(p.convention, s.v());
        let g = p.conductances(s.m, s.h, s.n);
        let (dm, dh, dn) = gate_derivatives(&r, s.m, s.h, s.n);
        TvLif2HhState {
            units: s.units.derivative(p, &g, current),
            m: dm,
            h: dh,
            n: dn,
        }
    }
}

/// One step of the closed-loop network from `t` by `dt` under current `input(t)`.
/// Gates are kept in [0, 1] exactly as [`crate::hh::step`] keeps them.
pub fn closed_loop_step(
    params: &HhParams,
    state: &TvLif2HhState,
    t: f64,
    dt: f64,
    integrator: Integrator,
    input: impl Fn(f64) -> f64,
) -> TvLif2HhState {
    let system = ClosedLoop { params: *params };
    let clamp = |s: TvLif2HhState| TvLif2HhState {
        m: s.m.clamp(0.0, 1.0),
        h: s.h.clamp(0.0, 1.0),
        n: s.n.clamp(0.0, 1.0),
        ..s
    };
    match integrator {
        Integrator::Euler => clamp(Integrator::euler(&system, t, dt, state, input)),
        Integrator::Rk4 => clamp(Integrator::rk4(&system, t, dt, state, input)),
        Integrator::ExpEuler => {
            let r = rates(params.convention, state.v());
            let g = params.conductances(state.m, state.h, state.n);
            TvLif2HhState {
                units: state.units.exp_euler(params, &g, input(t), dt),
                m: rush_larsen(state.m, r.alpha_m, r.beta_m, dt),
                h: rush_larsen(state.h, r.alpha_h, r.beta_h, dt),
                n: rush_larsen(state.n, r.alpha_n, r.beta_n, dt),
            }
        }
    }
}

/// Drive of the driven network at one instant: current and externally supplied g_i.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DrivenInput {
    /// Injected current I (µA/cm²).
    pub current: f64,
    /// Channel conductances g_i(t) (mS/cm²).
    pub conductances: Conductances,
}

/// The driven network: the four units with g_i(t) given from outside.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Driven {
    /// The HH membrane whose channels the units represent.
    pub params: HhParams,
}

impl OdeSystem for Driven {
    type State = UnitPotentials;
    type Input = DrivenInput;
    #[inline(always)]
    fn derivative(&self, _t: f64, s: &UnitPotentials, d: DrivenInput) -> UnitPotentials {
        s.derivative(&self.params, &d.conductances, d.current)
    }
}

/// One step of the driven network; `input(t)` supplies I and g_i at any stage time.
pub fn driven_step(
    params: &HhParams,
    state: &UnitPotentials,
    t: f64,
    dt: f64,
    integrator: Integrator,
    input: impl Fn(f64) -> DrivenInput,
) -> UnitPotentials {
    let system = Driven { params: *params };
    match integrator {
        Integrator::Euler => Integrator::euler(&system, t, dt, state, input),
        Integrator::Rk4 => Integrator::rk4(&system, t, dt, state, input),
        Integrator::ExpEuler => {
            let d = input(t);
            state.exp_euler(params, &d.conductances, d.current, dt)
        }
    }
}

/// A driven network whose conductances come from a companion HH neuron integrated
/// alongside it, as one joint ODE system, so that every Runge–Kutta stage sees the
/// companion's conductances at the stage time (exact for RK4, not just at grid points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DrivenByHh {
    /// The companion HH neuron.
    pub hh: HhState,
    /// The driven network.
    pub units: UnitPotentials,
}

impl OdeState for DrivenByHh {
    #[inline(always)]
    fn axpy(&self, a: f64, o: &Self) -> Self {
        DrivenByHh {
            hh: self.hh.axpy(a, &o.hh),
            units: self.units.axpy(a, &o.units),
        }
    }
}

/// The joint system of [`DrivenByHh`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DrivenByHhSystem {
    /// The HH membrane.
    pub params: HhParams,
}

impl OdeSystem for DrivenByHhSystem {
    type State = DrivenByHh;
    type Input = f64;
    #[inline(always)]
    fn derivative(&self, t: f64, s: &DrivenByHh, current: f64) -> DrivenByHh {
        let g = self.params.conductances(s.hh.m, s.hh.h, s.hh.n);
        DrivenByHh {
            hh: self.params.derivative(t, &s.hh, current),
            units: s.units.derivative(&self.params, &g, current),
        }
    }
}

/// One step of a driven network and its companion HH neuron.
pub fn driven_by_hh_step(
    params: &HhParams,
    state: &DrivenByHh,
    t: f64,
    dt: f64,
    integrator: Integrator,
    input: impl Fn(f64) -> f64,
) -> DrivenByHh {
    let system = DrivenByHhSystem { params: *params };
    let clamp = |s: DrivenByHh| DrivenByHh {
        hh: s.hh.clamp_gates(),
        ..s
    };
    match integrator {
        Integrator::Euler => clamp(Integrator::euler(&system, t, dt, state, input)),
        Integrator::Rk4 => clamp(Integrator::rk4(&system, t, dt, state, input)),
        Integrator::ExpEuler => {
            let current = input(t);
            let g = params.conductances(state.hh.m, state.hh.h, state.hh.n);
            DrivenByHh {
                hh: crate::hh::exp_euler_step(params, &state.hh, dt, current),
                units: state.units.exp_euler(params, &g, current, dt),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hh;

    /// HH and both tv-LIF2HH forms stepped side by side agree to rounding level.
    fn max_difference(integrator: Integrator, dt: f64, ms: f64) -> (f64, f64) {
        let p = HhParams::modern();
        let mut h = HhState::modern_reference();
        let mut closed = TvLif2HhState::from_hh(&h);
        let mut driven = DrivenByHh {
            hh: h,
            units: UnitPotentials::at(h.v),
        };
        let input = |_t: f64| 10.0;
        let (mut d_closed, mut d_driven) = (0.0f64, 0.0f64);
        let steps = (ms / dt).round() as usize;
        for k in 0..steps {
            let t = k as f64 * dt;
            h = hh::step(&p, &h, t, dt, integrator, input);
            closed = closed_loop_step(&p, &closed, t, dt, integrator, input);
            driven = driven_by_hh_step(&p, &driven, t, dt, integrator, input);
            d_closed = d_closed.max((h.v - closed.v()).abs());
            d_driven = d_driven.max((h.v - driven.units.v()).abs());
        }
        (d_closed, d_driven)
    }

    #[test]
    fn euler_and_rk4_preserve_the_identity() {
        for integrator in [Integrator::Euler, Integrator::Rk4] {
            let (closed, driven) = max_difference(integrator, 0.01, 50.0);
            assert!(
                closed < 1e-9,
                "{integrator}: closed loop differs by {closed} mV"
            );
            assert!(driven < 1e-9, "{integrator}: driven differs by {driven} mV");
        }
    }

    #[test]
    fn exponential_euler_is_a_different_first_order_scheme() {
        // Not the same discrete map as HH's exponential Euler, but close at small dt.
        let (closed, _) = max_difference(Integrator::ExpEuler, 0.001, 20.0);
        assert!(closed < 1.0, "exp-Euler tv-LIF2HH deviates by {closed} mV");
    }
}
