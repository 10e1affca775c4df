//! Wall time per named phase of a training step, for `icnet bench train`'s report of where
//! the time goes. Off by default: a phase then costs one relaxed atomic load.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);
static TOTALS: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());

/// Starts (and resets) recording phase times.
pub fn start() {
    TOTALS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    ON.store(true, Ordering::Relaxed);
}

/// Stops recording and returns the nanoseconds spent in each phase.
pub fn stop() -> BTreeMap<&'static str, u64> {
    ON.store(false, Ordering::Relaxed);
    std::mem::take(&mut *TOTALS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Runs `work`, charging its wall time to `phase` when recording is on.
#[inline]
pub fn phase<R>(name: &'static str, work: impl FnOnce() -> R) -> R {
    if !ON.load(Ordering::Relaxed) {
        return work();
    }
    let _span = Span::new(name);
    work()
}

/// Charges the wall time from its creation to its drop to a phase (when recording is on).
pub struct Span {
    name: &'static str,
    started: Option<Instant>,
}

impl Span {
    /// Starts a span of phase `name`.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            started: ON.load(Ordering::Relaxed).then(Instant::now),
        }
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some(started) = self.started {
            let nanos = started.elapsed().as_nanos() as u64;
            *TOTALS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(self.name)
                .or_insert(0) += nanos;
        }
    }
}
