//! The replay buffer: a ring of transitions, each with the observation window the actor saw
//! before and after the step, sampled uniformly with a seeded generator.

use icnet_train::Scalar;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A ring buffer of `(window, action, reward, next window, done)` transitions.
#[derive(Clone, Debug)]
pub struct ReplayBuffer {
    pub(crate) capacity: usize,
    pub(crate) window_len: usize,
    pub(crate) action_len: usize,
    pub(crate) len: usize,
    pub(crate) next: usize,
    pub(crate) pushed: u64,
    pub(crate) windows: Vec<f32>,
    pub(crate) next_windows: Vec<f32>,
    pub(crate) actions: Vec<f32>,
    pub(crate) rewards: Vec<f32>,
    pub(crate) dones: Vec<f32>,
    pub(crate) ids: Vec<u64>,
}

/// A sampled batch, converted to the learner's scalar.
#[derive(Clone, Debug, Default)]
pub struct Batch<S> {
    /// Rows in the batch.
    pub rows: usize,
    /// `rows × window_len`.
    pub windows: Vec<S>,
    /// `rows × window_len`.
    pub next_windows: Vec<S>,
    /// `rows × action_len`, in [−1, 1].
    pub actions: Vec<S>,
    /// `rows`.
    pub rewards: Vec<S>,
    /// `rows`: 1 when the step terminated the episode (no bootstrap), else 0.
    pub dones: Vec<S>,
    /// The push index (0-based count) of each sampled transition.
    pub ids: Vec<u64>,
}

impl ReplayBuffer {
    /// An empty buffer for `capacity` transitions (storage grows as it fills).
    ///
    /// # Panics
    /// If `capacity` is 0.
    pub fn new(capacity: usize, window_len: usize, action_len: usize) -> Self {
        assert!(
            capacity > 0,
            "a replay buffer needs room for one transition"
        );
        Self {
            capacity,
            window_len,
            action_len,
            len: 0,
            next: 0,
            pushed: 0,
            windows: Vec::new(),
            next_windows: Vec::new(),
            actions: Vec::new(),
            rewards: Vec::new(),
            dones: Vec::new(),
            ids: Vec::new(),
        }
    }

    /// Transitions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing has been pushed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Transitions pushed so far (including overwritten ones).
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Stores one transition, overwriting the oldest when full.
    ///
    /// # Panics
    /// On slices of the wrong length (a caller bug).
    pub fn push(
        &mut self,
        window: &[f32],
        action: &[f32],
        reward: f32,
        next_window: &[f32],
        done: bool,
    ) {
        assert_eq!(window.len(), self.window_len, "window has the wrong length");
        assert_eq!(
            next_window.len(),
            self.window_len,
            "next window has the wrong length"
        );
        assert_eq!(action.len(), self.action_len, "action has the wrong length");
        let i = self.next;
        let (w, a) = (self.window_len, self.action_len);
        if i == self.len {
            self.windows.extend_from_slice(window);
            self.next_windows.extend_from_slice(next_window);
            self.actions.extend_from_slice(action);
            self.rewards.push(reward);
            self.dones.push(f32::from(u8::from(done)));
            self.ids.push(self.pushed);
            self.len += 1;
        } else {
            self.windows[i * w..(i + 1) * w].copy_from_slice(window);
            self.next_windows[i * w..(i + 1) * w].copy_from_slice(next_window);
            self.actions[i * a..(i + 1) * a].copy_from_slice(action);
            self.rewards[i] = reward;
            self.dones[i] = f32::from(u8::from(done));
            self.ids[i] = self.pushed;
        }
        self.next = (i + 1) % self.capacity;
        self.pushed += 1;
    }

    /// `rows` transitions drawn uniformly with replacement.
    ///
    /// # Panics
    /// If the buffer is empty.
    pub fn sample<S: Scalar>(&self, rows: usize, rng: &mut ChaCha8Rng, out: &mut Batch<S>) {
        assert!(!self.is_empty(), "cannot sample an empty replay buffer");
        let (w, a) = (self.window_len, self.action_len);
        out.rows = rows;
        for v in [
            &mut out.windows,
            &mut out.next_windows,
            &mut out.actions,
            &mut out.rewards,
            &mut out.dones,
        ] {
            v.clear();
        }
        out.ids.clear();
        for _ in 0..rows {
            let i = rng.random_range(0..self.len);
            out.windows.extend(
                self.windows[i * w..(i + 1) * w]
                    .iter()
                    .map(|&v| S::c(f64::from(v))),
            );
            out.next_windows.extend(
                self.next_windows[i * w..(i + 1) * w]
                    .iter()
                    .map(|&v| S::c(f64::from(v))),
            );
            out.actions.extend(
                self.actions[i * a..(i + 1) * a]
                    .iter()
                    .map(|&v| S::c(f64::from(v))),
            );
            out.rewards.push(S::c(f64::from(self.rewards[i])));
            out.dones.push(S::c(f64::from(self.dones[i])));
            out.ids.push(self.ids[i]);
        }
    }
}
