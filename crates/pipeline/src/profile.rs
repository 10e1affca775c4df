//! Profiles scale an experiment's data, epochs, steps and seeds (DESIGN.md, "Config").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How much of the paper's reference workload to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Minimal CI sanity check: every code path, numbers not comparable with the paper.
    Smoke,
    /// Scaled down to run in minutes rather than days on 2 cores; trends are comparable.
    Quick,
    /// The paper's reference settings.
    Paper,
}

impl Profile {
    /// Every profile, smallest first.
    pub const ALL: [Profile; 3] = [Profile::Smoke, Profile::Quick, Profile::Paper];

    /// The name used on the command line and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Smoke => "smoke",
            Profile::Quick => "quick",
            Profile::Paper => "paper",
        }
    }

    /// How this profile scales the paper's workload (a sentence fragment without the profile
    /// name); captions quote it.
    pub fn scale(self) -> &'static str {
        match self {
            Profile::Smoke => {
                "a CI sanity check with data, epochs, simulation lengths and seeds \
                 cut to the minimum that exercises every code path, so its numbers are not \
                 comparable with the paper"
            }
            Profile::Quick => {
                "scaled down (fewer samples, epochs, steps and seeds than the paper) \
                 to run in minutes rather than days on 2 cores, so trends but not exact \
                 values are comparable with the paper"
            }
            Profile::Paper => "the paper's reference settings (full data, epochs, steps and seeds)",
        }
    }

    /// Whether this profile runs less than the paper's reference workload.
    pub fn is_scaled_down(self) -> bool {
        self != Profile::Paper
    }

    /// The default `--out` directory of `icnet reproduce` for this profile.
    pub fn default_out(self) -> &'static str {
        match self {
            Profile::Smoke => "results/smoke",
            Profile::Quick | Profile::Paper => "paper",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that is not one of `smoke`, `quick`, `paper`.
#[derive(Debug, thiserror::Error)]
#[error("unknown profile '{0}'; use one of smoke, quick, paper (e.g. --profile quick)")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownProfile(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_one_sentence() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
        }
        let err = "fast".parse::<Profile>().unwrap_err().to_string();
        assert!(err.contains("'fast'") && err.contains("smoke, quick, paper"));
        assert!(!err.contains('\n'));
    }

    #[test]
    fn default_outputs_follow_the_contract() {
        assert_eq!(Profile::Smoke.default_out(), "results/smoke");
        assert_eq!(Profile::Quick.default_out(), "paper");
        assert_eq!(Profile::Paper.default_out(), "paper");
        assert!(Profile::Quick.is_scaled_down() && !Profile::Paper.is_scaled_down());
    }
}
