//! The Hodgkin–Huxley (1952) neuron (PAPER.md §2.1).
//!
//! C dV/dt = −g_Na(t)(V − E_Na) − g_K(t)(V − E_K) − g_L(V − E_L) + I(t),
//! g_Na = ḡ_Na m³h, g_K = ḡ_K n⁴, dx/dt = α_x(V)(1 − x) − β_x(V)x, x ∈ {m, h, n}.
//!
//! Units: time in ms, V in mV, conductances in mS/cm², C in µF/cm², I in µA/cm².
//! Two voltage conventions share one set of rate functions: the 1952 convention
//! (rest ≈ 0 mV) and the modern one (rest ≈ −65 mV), whose rates are the 1952
//! rates evaluated at V + 65.

use serde::{Deserialize, Serialize};

use crate::error::{finite, positive, NeuronError};
use crate::impl_ode_state;
use crate::ode::{Integrator, OdeSystem};

/// Voltage convention of an HH model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Convention {
    /// Hodgkin & Huxley's original convention: rest ≈ 0 mV, depolarisation positive.
    Hh1952,
    /// Modern convention: rest ≈ −65 mV; every rate is the 1952 rate at V + 65.
    Modern,
}

impl Convention {
    /// Shift that maps a membrane potential of this convention onto the 1952 one (mV).
    #[inline(always)]
    pub fn offset_mv(self) -> f64 {
        match self {
            Convention::Hh1952 => 0.0,
            Convention::Modern => 65.0,
        }
    }

    /// Default spike threshold for upward-crossing detection (mV): −40 mV in the
    /// modern convention (PAPER.md §2.1); 50 mV in the 1952 convention, i.e. well
    /// inside the upstroke (our choice; the reference fixture uses the same value).
    pub fn default_threshold_mv(self) -> f64 {
        match self {
            Convention::Hh1952 => 50.0,
            Convention::Modern => -40.0,
        }
    }
}

/// Opening (α) and closing (β) rates of the three gates, in 1/ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// α_m
    pub alpha_m: f64,
    /// β_m
    pub beta_m: f64,
    /// α_h
    pub alpha_h: f64,
    /// β_h
    pub beta_h: f64,
    /// α_n
    pub alpha_n: f64,
    /// β_n
    pub beta_n: f64,
}

/// x / (eˣ − 1), continuous at x = 0 where it equals 1.
///
/// α_n and α_m have the form a·x/(eˣ − 1) with a removable 0/0 at x = 0; `exp_m1`
/// keeps full relative precision for small |x| so only the exact zero needs the limit.
#[inline(always)]
pub fn x_over_expm1(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        x / x.exp_m1()
    }
}

/// The six rate functions at a potential `v1952` given in the 1952 convention.
///
/// α_n = 0.01(10 − V)/(exp((10 − V)/10) − 1) → 0.1 at V = 10,
/// β_n = 0.125 exp(−V/80),
/// α_m = 0.1(25 − V)/(exp((25 − V)/10) − 1) → 1.0 at V = 25,
/// β_m = 4 exp(−V/18), α_h = 0.07 exp(−V/20), β_h = 1/(exp((30 − V)/10) + 1).
#[inline(always)]
pub fn rates_1952(v1952: f64) -> Rates {
    let v = v1952;
    Rates {
        alpha_n: 0.1 * x_over_expm1((10.0 - v) / 10.0),
        beta_n: 0.125 * (-v / 80.0).exp(),
        alpha_m: x_over_expm1((25.0 - v) / 10.0),
        beta_m: 4.0 * (-v / 18.0).exp(),
        alpha_h: 0.07 * (-v / 20.0).exp(),
        beta_h: 1.0 / (((30.0 - v) / 10.0).exp() + 1.0),
    }
}

/// The rates at potential `v` in convention `convention`.
#[inline(always)]
pub fn rates(convention: Convention, v: f64) -> Rates {
    rates_1952(v + convention.offset_mv())
}

/// Parameters of an HH membrane (PAPER.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HhParams {
    /// Membrane capacitance C (µF/cm²).
    pub c_m: f64,
    /// Maximal sodium conductance ḡ_Na (mS/cm²).
    pub g_na: f64,
    /// Maximal potassium conductance ḡ_K (mS/cm²).
    pub g_k: f64,
    /// Leak conductance g_L (mS/cm²).
    pub g_l: f64,
    /// Sodium reversal potential E_Na (mV).
    pub e_na: f64,
    /// Potassium reversal potential E_K (mV).
    pub e_k: f64,
    /// Leak reversal potential E_L (mV).
    pub e_l: f64,
    /// Voltage convention of V and the reversal potentials.
    pub convention: Convention,
}

impl HhParams {
    /// The 1952 convention: E_Na = 115, E_K = −12, E_L = 10.613 mV (the value of the
    /// paper's simulation scripts, which puts rest within a few µV of 0 mV).
    pub fn hh1952() -> Self {
        HhParams {
            c_m: 1.0,
            g_na: 120.0,
            g_k: 36.0,
            g_l: 0.3,
            e_na: 115.0,
            e_k: -12.0,
            e_l: 10.613,
            convention: Convention::Hh1952,
        }
    }

    /// The modern convention: E_Na = 50, E_K = −77, E_L = −54.387 mV.
    pub fn modern() -> Self {
        HhParams {
            e_na: 50.0,
            e_k: -77.0,
            e_l: -54.387,
            convention: Convention::Modern,
            ..HhParams::hh1952()
        }
    }

    /// Checks that every parameter is finite, C > 0 and conductances ≥ 0.
    pub fn validate(&self) -> Result<(), NeuronError> {
        positive("C", self.c_m)?;
        for (field, g) in [("g_Na", self.g_na), ("g_K", self.g_k), ("g_L", self.g_l)] {
            finite(field, g)?;
            if g < 0.0 {
                return Err(NeuronError::OutOfRange {
                    field,
                    value: g,
                    range: "[0, inf)",
                });
            }
        }
        finite("E_Na", self.e_na)?;
        finite("E_K", self.e_k)?;
        finite("E_L", self.e_l)?;
        Ok(())
    }

    /// Channel conductances g_Na = ḡ_Na m³h, g_K = ḡ_K n⁴, g_L for gate values m, h, n.
    #[inline(always)]
    pub fn conductances(&self, m: f64, h: f64, n: f64) -> Conductances {
        let n2 = n * n;
        Conductances {
            g_na: self.g_na * m * m * m * h,
            g_k: self.g_k * n2 * n2,
            g_l: self.g_l,
        }
    }

    /// Ionic current Σ g_i (V − E_i) flowing out of the cell (µA/cm²).
    #[inline(always)]
    pub fn ionic_current(&self, g: &Conductances, v: f64) -> f64 {
        g.g_na * (v - self.e_na) + g.g_k * (v - self.e_k) + g.g_l * (v - self.e_l)
    }

    /// Total current at steady-state gating, used to locate the resting potential.
    fn steady_state_current(&self, v: f64) -> f64 {
        let s = HhState::steady(self, v);
        self.ionic_current(&self.conductances(s.m, s.h, s.n), v)
    }
}

impl Default for HhParams {
    fn default() -> Self {
        HhParams::hh1952()
    }
}

/// Instantaneous channel conductances (mS/cm²).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Conductances {
    /// g_Na(t) = ḡ_Na m³h
    pub g_na: f64,
    /// g_K(t) = ḡ_K n⁴
    pub g_k: f64,
    /// g_L (constant)
    pub g_l: f64,
}

impl Conductances {
    /// g(t) = g_Na + g_K + g_L, the total conductance; C/g is the tv-LIF time constant.
    #[inline(always)]
    pub fn total(&self) -> f64 {
        self.g_na + self.g_k + self.g_l
    }
}

/// State of one HH neuron.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HhState {
    /// Membrane potential V (mV).
    pub v: f64,
    /// Sodium activation m ∈ [0, 1].
    pub m: f64,
    /// Sodium inactivation h ∈ [0, 1].
    pub h: f64,
    /// Potassium activation n ∈ [0, 1].
    pub n: f64,
}
impl_ode_state!(HhState { v, m, h, n });

impl HhState {
    /// V with every gate at its steady state x∞(V) = α/(α + β).
    pub fn steady(params: &HhParams, v: f64) -> Self {
        let r = rates(params.convention, v);
        HhState {
            v,
            m: r.alpha_m / (r.alpha_m + r.beta_m),
            h: r.alpha_h / (r.alpha_h + r.beta_h),
            n: r.alpha_n / (r.alpha_n + r.beta_n),
        }
    }

    /// The resting fixed point for I = 0: the V at which the steady-state ionic
    /// current vanishes (bisection to machine precision within 40 mV of the
    /// convention's nominal rest), gates at x∞(V_rest).
    pub fn resting(params: &HhParams) -> Self {
        let centre = -params.convention.offset_mv();
        let (mut lo, mut hi) = (centre - 40.0, centre + 40.0);
        let mut f_lo = params.steady_state_current(lo);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            let f_mid = params.steady_state_current(mid);
            if (f_mid < 0.0) == (f_lo < 0.0) {
                lo = mid;
                f_lo = f_mid;
            } else {
                hi = mid;
            }
        }
        HhState::steady(params, 0.5 * (lo + hi))
    }

    /// The reference initial state of the tv-LIF2HH scripts (modern convention):
    /// V = −70 mV, m = 0.0289, h = 0.7541, n = 0.2446.
    pub fn modern_reference() -> Self {
        HhState {
            v: -70.0,
            m: 0.0289,
            h: 0.7541,
            n: 0.2446,
        }
    }

    /// Projects the gates onto [0, 1]. Only acts when an explicit scheme has left
    /// its stability region for a gate (dt·(α + β) > 1); a no-op otherwise.
    #[inline(always)]
    pub fn clamp_gates(self) -> Self {
        HhState {
            m: self.m.clamp(0.0, 1.0),
            h: self.h.clamp(0.0, 1.0),
            n: self.n.clamp(0.0, 1.0),
            ..self
        }
    }
}

/// Time derivative of the gates x ∈ {m, h, n}: α_x(1 − x) − β_x x.
#[inline(always)]
pub fn gate_derivatives(r: &Rates, m: f64, h: f64, n: f64) -> (f64, f64, f64) {
    (
        r.alpha_m * (1.0 - m) - r.beta_m * m,
        r.alpha_h * (1.0 - h) - r.beta_h * h,
        r.alpha_n * (1.0 - n) - r.beta_n * n,
    )
}

/// Rush–Larsen update of one gate over `dt` with frozen rates:
/// x ← x∞ + (x − x∞)·exp(−dt(α + β)), x∞ = α/(α + β). A convex combination of x and
/// x∞, so the gate cannot leave [0, 1].
#[inline(always)]
pub fn rush_larsen(x: f64, alpha: f64, beta: f64, dt: f64) -> f64 {
    let k = alpha + beta;
    let x_inf = alpha / k;
    x_inf + (x - x_inf) * (-dt * k).exp()
}

impl OdeSystem for HhParams {
    type State = HhState;
    type Input = f64;

    #[inline(always)]
    fn derivative(&self, _t: f64, s: &HhState, current: f64) -> HhState {
        let r = rates(self.convention, s.v);
        let g = self.conductances(s.m, s.h, s.n);
        let (dm, dh, dn) = gate_derivatives(&r, s.m, s.h, s.n);
        HhState {
            v: (current - self.ionic_current(&g, s.v)) / self.c_m,
            m: dm,
            h: dh,
            n: dn,
        }
    }
}

/// Advances one HH neuron from time `t` by `dt` (ms) under the current `input(t)`
/// (µA/cm²). Pure: returns the new state. Gates are kept in [0, 1].
#[inline]
pub fn step(
    params: &HhParams,
    state: &HhState,
    t: f64,
    dt: f64,
    integrator: Integrator,
    input: impl Fn(f64) -> f64,
) -> HhState {
    match integrator {
        Integrator::Euler => Integrator::euler(params, t, dt, state, input).clamp_gates(),
        Integrator::Rk4 => Integrator::rk4(params, t, dt, state, input).clamp_gates(),
        Integrator::ExpEuler => exp_euler_step(params, state, dt, input(t)),
    }
}

/// Exponential Euler: Rush–Larsen for the gates and, for V, the exact solution of
/// (C/g) dV/dt = −(V − V∞) with g and V∞ frozen over the step (V∞ = (Σ g_i E_i + I)/g).
#[inline(always)]
pub fn exp_euler_step(params: &HhParams, s: &HhState, dt: f64, current: f64) -> HhState {
    let r = rates(params.convention, s.v);
    let g = params.conductances(s.m, s.h, s.n);
    let g_total = g.total();
    let v_inf =
        (g.g_na * params.e_na + g.g_k * params.e_k + g.g_l * params.e_l + current) / g_total;
    HhState {
        v: v_inf + (s.v - v_inf) * (-dt * g_total / params.c_m).exp(),
        m: rush_larsen(s.m, r.alpha_m, r.beta_m, dt),
        h: rush_larsen(s.h, r.alpha_h, r.beta_h, dt),
        n: rush_larsen(s.n, r.alpha_n, r.beta_n, dt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removable_singularities_return_their_limits() {
        let r = rates_1952(10.0);
        assert_eq!(r.alpha_n, 0.1);
        let r = rates_1952(25.0);
        assert_eq!(r.alpha_m, 1.0);
        // Continuity around the singular points.
        let near = rates_1952(10.0 + 1e-9);
        assert!((near.alpha_n - 0.1).abs() < 1e-10);
        let near = rates_1952(25.0 - 1e-9);
        assert!((near.alpha_m - 1.0).abs() < 1e-9);
    }

    #[test]
    fn modern_rates_are_shifted_1952_rates() {
        let a = rates(Convention::Modern, -65.0);
        let b = rates_1952(0.0);
        assert_eq!(a, b);
        // α_m in modern form: 0.1(V + 40)/(1 − exp(−(V + 40)/10)), at V = −50.
        let v: f64 = -50.0;
        let expected = 0.1 * (v + 40.0) / (1.0 - (-(v + 40.0) / 10.0).exp());
        assert!((rates(Convention::Modern, v).alpha_m - expected).abs() < 1e-14);
    }

    #[test]
    fn resting_potential_is_near_nominal() {
        let rest = HhState::resting(&HhParams::hh1952());
        assert!(rest.v.abs() < 0.01, "1952 rest at {} mV", rest.v);
        let rest = HhState::resting(&HhParams::modern());
        assert!((rest.v + 65.0).abs() < 0.01, "modern rest at {} mV", rest.v);
        // Classic steady-state gate values at rest.
        assert!((rest.m - 0.0529).abs() < 1e-3);
        assert!((rest.h - 0.5961).abs() < 1e-3);
        assert!((rest.n - 0.3177).abs() < 1e-3);
    }

    #[test]
    fn validation_rejects_bad_parameters() {
        let mut p = HhParams::hh1952();
        p.c_m = 0.0;
        assert!(matches!(
            p.validate(),
            Err(NeuronError::NotPositive { field: "C", .. })
        ));
        let mut p = HhParams::hh1952();
        p.g_na = f64::NAN;
        assert!(p.validate().is_err());
        let mut p = HhParams::hh1952();
        p.g_k = -1.0;
        assert!(p.validate().is_err());
        assert!(HhParams::modern().validate().is_ok());
    }
}
