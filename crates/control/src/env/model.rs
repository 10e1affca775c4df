//! The planar cart-and-poles model shared by both tasks: bodies, mass properties from capsule
//! geometry, joints, actuator and soft joint limits, as MuJoCo compiles them from the XML.
//!
//! Coordinates: the motion lies in MuJoCo's x–z plane. A planar vector is `[x, z]`. A hinge
//! turns about MuJoCo's +y axis, so a rotation by φ maps `[a, b]` to
//! `[a cos φ + b sin φ, −a sin φ + b cos φ]` (positive φ tips a pole towards +x).

/// Most generalised coordinates a model has: slider + two hinges (double pendulum).
pub const MAX_DOF: usize = 3;

/// MuJoCo's default geom density (`density="1000"`, kg/m³); neither XML overrides it.
pub const DENSITY: f64 = 1000.0;

/// A capsule geom: a cylinder of radius r and length 2·half_length capped by two hemispheres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capsule {
    /// Radius r, m (first value of the geom's `size`).
    pub radius: f64,
    /// Half-length of the cylinder part, m (second `size` value, or |to − from| / 2 for `fromto`).
    pub half_length: f64,
}

impl Capsule {
    /// The capsule of a `fromto` geom: half-length |to − from| / 2 (MuJoCo ignores the second
    /// `size` value then). Returns the capsule and its centre (from + to) / 2 in the body frame.
    pub fn from_to(radius: f64, from: [f64; 2], to: [f64; 2]) -> (Self, [f64; 2]) {
        let dx = to[0] - from[0];
        let dz = to[1] - from[1];
        let capsule = Self {
            radius,
            half_length: 0.5 * (dx * dx + dz * dz).sqrt(),
        };
        let centre = [0.5 * (from[0] + to[0]), 0.5 * (from[1] + to[1])];
        (capsule, centre)
    }

    /// Mass of the cylinder part, ρ π r² (2h).
    fn cylinder_mass(&self) -> f64 {
        DENSITY * std::f64::consts::PI * self.radius.powi(2) * 2.0 * self.half_length
    }

    /// Mass of the two hemispheres, ρ (4/3) π r³.
    fn sphere_mass(&self) -> f64 {
        DENSITY * 4.0 / 3.0 * std::f64::consts::PI * self.radius.powi(3)
    }

    /// Mass, kg: density × (cylinder volume + sphere volume), as MuJoCo's `inertiafromgeom`.
    pub fn mass(&self) -> f64 {
        self.cylinder_mass() + self.sphere_mass()
    }

    /// Principal moments of inertia about the centre, kg m², in the capsule's frame (z along the
    /// axis), ordered as MuJoCo's `body_inertia`: `[I⊥, I⊥, I∥]` with H = 2h,
    /// I⊥ = m_cyl (H²/12 + r²/4) + m_sph (2r²/5 + H²/4 + 3Hr/8) (the hemispheres shifted by the
    /// parallel-axis theorem to their centroids H/2 + 3r/8 from the centre),
    /// I∥ = m_cyl r²/2 + m_sph 2r²/5.
    pub fn inertia(&self) -> [f64; 3] {
        let r = self.radius;
        let height = 2.0 * self.half_length;
        let m_cyl = self.cylinder_mass();
        let m_sph = self.sphere_mass();
        let perpendicular = m_cyl * (height * height / 12.0 + r * r / 4.0)
            + m_sph * (2.0 * r * r / 5.0 + height * height / 4.0 + 3.0 * height * r / 8.0);
        let axial = m_cyl * r * r / 2.0 + m_sph * 2.0 * r * r / 5.0;
        [perpendicular, perpendicular, axial]
    }
}

/// A pole: a body with a hinge at its origin turning about +y.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Body origin (= hinge position) in the parent's frame, `[x, z]` m (the body's `pos`).
    pub origin: [f64; 2],
    /// Mass, kg.
    pub mass: f64,
    /// Centre of mass in the link's own frame, `[x, z]` m (MuJoCo's `body_ipos`).
    pub com: [f64; 2],
    /// Moment of inertia about the y axis through the centre of mass, kg m². The capsule axis
    /// lies in the x–z plane, so this is the capsule's I⊥.
    pub inertia_y: f64,
}

impl Link {
    /// A link whose only geom is a `fromto` capsule (both tasks' poles).
    pub fn capsule(origin: [f64; 2], radius: f64, from: [f64; 2], to: [f64; 2]) -> Self {
        let (capsule, centre) = Capsule::from_to(radius, from, to);
        Self {
            origin,
            mass: capsule.mass(),
            com: centre,
            inertia_y: capsule.inertia()[0],
        }
    }
}

/// Range of a limited joint, with MuJoCo's activation margin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JointLimit {
    /// Lower end (m for the slider, rad for a hinge; the XML's degrees converted).
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
    /// The constraint row exists once the distance to an end is below this (`margin`).
    pub margin: f64,
}

/// MuJoCo's soft-constraint parameters; both XMLs keep the defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Softness {
    /// `solref` = (time constant s, damping ratio); default (0.02, 1).
    pub solref: [f64; 2],
    /// `solimp` = (d_min, d_max, width, midpoint, power); default (0.9, 0.95, 0.001, 0.5, 2).
    pub solimp: [f64; 5],
}

impl Default for Softness {
    fn default() -> Self {
        Self {
            solref: [0.02, 1.0],
            solimp: [0.9, 0.95, 0.001, 0.5, 2.0],
        }
    }
}

/// A cart on a slider along x carrying a chain of hinged poles; everything MuJoCo's
/// `mj_step` needs for the two tasks (no contacts: every geom has `contype="0"`).
#[derive(Clone, Debug, PartialEq)]
pub struct CartPoleModel {
    /// Mass of the cart body, kg (the slider carries it and everything above).
    pub cart_mass: f64,
    /// The poles, base first; hinge i is generalised coordinate i + 1.
    pub links: Vec<Link>,
    /// Gravity `[x, z]`, m/s² (the double pendulum's XML has a tiny x component, 1e-5).
    pub gravity: [f64; 2],
    /// Joint damping per dof, N s/m or N m s/rad (passive force −d·q̇).
    pub damping: [f64; MAX_DOF],
    /// Joint armature per dof (added to the mass-matrix diagonal).
    pub armature: [f64; MAX_DOF],
    /// Joint limits per dof, `None` when the joint is unlimited.
    pub limits: [Option<JointLimit>; MAX_DOF],
    /// Soft-constraint parameters of the limits.
    pub softness: Softness,
    /// Motor gear on the slider: generalised force = gear · ctrl.
    pub gear: f64,
    /// `ctrlrange` (`ctrllimited="true"`): ctrl is clamped to it before the gear.
    pub ctrl_range: (f64, f64),
    /// Point of interest on the last link (the double pendulum's `tip` site), link frame.
    pub site: Option<[f64; 2]>,
    /// MuJoCo timestep h, s (`option timestep`); the integrator is RK4 in both XMLs.
    pub timestep: f64,
    /// Physics steps per environment step (gymnasium's v5 `frame_skip`).
    pub frame_skip: usize,
}

impl CartPoleModel {
    /// Generalised coordinates: the slider plus one hinge per link.
    pub fn dof(&self) -> usize {
        1 + self.links.len()
    }

    /// Environment step, s: frame_skip · timestep.
    pub fn dt(&self) -> f64 {
        self.frame_skip as f64 * self.timestep
    }

    /// Total mass carried by the slider, kg.
    pub fn total_mass(&self) -> f64 {
        self.cart_mass + self.links.iter().map(|l| l.mass).sum::<f64>()
    }
}
