//! Spike detection by upward threshold crossing.
//!
//! A spike is emitted when the potential goes from strictly below the threshold θ at
//! one sample to at or above θ at the next. Its time is the linear interpolation of
//! the crossing inside that step, t₀ + (θ − v₀)/(v₁ − v₀)·(t₁ − t₀), which is exact
//! to O(dt²) and removes the O(dt) quantisation of reporting the sample time.

/// Time at which the segment (t₀, v₀) → (t₁, v₁) crosses `threshold` upwards, if it does.
#[inline(always)]
pub fn upward_crossing(t0: f64, v0: f64, t1: f64, v1: f64, threshold: f64) -> Option<f64> {
    if v0 < threshold && v1 >= threshold {
        Some(t0 + (threshold - v0) / (v1 - v0) * (t1 - t0))
    } else {
        None
    }
}

/// Streaming detector: feed it (t, V) samples in time order.
#[derive(Debug, Clone)]
pub struct SpikeDetector {
    threshold: f64,
    previous: Option<(f64, f64)>,
    spikes: Vec<f64>,
}

impl SpikeDetector {
    /// A detector for upward crossings of `threshold` (mV).
    pub fn new(threshold: f64) -> Self {
        SpikeDetector {
            threshold,
            previous: None,
            spikes: Vec::new(),
        }
    }

    /// Observes one sample; returns the interpolated spike time if a crossing ended here.
    pub fn observe(&mut self, t: f64, v: f64) -> Option<f64> {
        let spike = self
            .previous
            .and_then(|(t0, v0)| upward_crossing(t0, v0, t, v, self.threshold));
        if let Some(ts) = spike {
            self.spikes.push(ts);
        }
        self.previous = Some((t, v));
        spike
    }

    /// Spike times detected so far (ms).
    pub fn spikes(&self) -> &[f64] {
        &self.spikes
    }

    /// Consumes the detector, returning the spike times (ms).
    pub fn into_spikes(self) -> Vec<f64> {
        self.spikes
    }
}

/// All upward crossings of `threshold` in a sampled trace.
pub fn detect_spikes(times: &[f64], values: &[f64], threshold: f64) -> Vec<f64> {
    let mut detector = SpikeDetector::new(threshold);
    for (&t, &v) in times.iter().zip(values) {
        detector.observe(t, v);
    }
    detector.into_spikes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_inside_the_step() {
        // From −10 to 30 mV across [1, 2] ms: crosses 10 mV a half-step in.
        assert_eq!(upward_crossing(1.0, -10.0, 2.0, 30.0, 10.0), Some(1.5));
        // Landing exactly on the threshold counts, at the end of the step.
        assert_eq!(upward_crossing(0.0, 0.0, 1.0, 10.0, 10.0), Some(1.0));
        // Starting on the threshold does not (it was counted when it arrived).
        assert_eq!(upward_crossing(0.0, 10.0, 1.0, 20.0, 10.0), None);
        // Downward crossings are not spikes.
        assert_eq!(upward_crossing(0.0, 20.0, 1.0, 0.0, 10.0), None);
    }

    #[test]
    fn detects_each_upstroke_once() {
        let times: Vec<f64> = (0..8).map(f64::from).collect();
        let values = [0.0, 5.0, 15.0, 20.0, 5.0, 0.0, 12.0, 8.0];
        let spikes = detect_spikes(&times, &values, 10.0);
        assert_eq!(spikes.len(), 2);
        assert!((spikes[0] - 1.5).abs() < 1e-12);
        assert!((spikes[1] - (5.0 + 10.0 / 12.0)).abs() < 1e-12);
    }
}
