//! Two threads through the phases of one SAC update.
//!
//! An update alternates short serial steps (sampling the actor, the soft targets, the
//! minimum of the critics) with phases of two independent tasks, one per critic, of
//! 0.1–0.3 ms each. Run as one `rayon::join` per phase, every phase paid for waking the other
//! worker, which had gone to sleep in the serial step before (tens of µs each in a virtual
//! machine, several times per update); whichever thread finished its half first could fall
//! asleep too.
//!
//! [`with_pair`] instead lends the calling thread a helper for the whole update: one rayon
//! job, stolen by an idle worker, that spins between phases. Each phase is published
//! through one atomic word (phase number, tasks claimed); either thread claims the next
//! unclaimed task, so the caller never waits for a task nobody has started. Without a
//! helper — a one-thread pool, both workers busy with other runs, a helper that has given
//! up — the caller runs both tasks itself: the same tasks on the same data, so the results
//! do not depend on which thread ran them.
//!
//! Between phases the helper runs other rayon jobs, so the caller's own parallel sections
//! (the actor's cells split their units into rayon jobs) still get both threads.
//!
//! Deadlock freedom: the caller spins only for tasks the helper has claimed and is running,
//! and tasks never wait on rayon (their matrix products run under
//! [`icnet_train::linalg::serial`]), so they finish. A thread that is already inside a pair
//! (as the caller or as a helper) never becomes a helper of another one: two runs side by
//! side could otherwise each help the other and wait for an update that cannot finish
//! before its own. A helper that sees no new phase for [`PATIENCE`] goes back to rayon.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a helper spins without a new phase before it leaves.
pub const PATIENCE: Duration = Duration::from_millis(2);

thread_local! {
    static IN_PAIR: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as inside a pair until dropped.
struct InPair(bool);

impl InPair {
    fn enter() -> Self {
        InPair(IN_PAIR.with(|f| f.replace(true)))
    }
}

impl Drop for InPair {
    fn drop(&mut self) {
        IN_PAIR.with(|f| f.set(self.0));
    }
}

/// Sets the quit flag when dropped (also when the caller's work unwinds).
struct QuitOnDrop<'a>(&'a AtomicBool);

impl Drop for QuitOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

type Job<'a> = &'a (dyn Fn(usize) + Sync);

/// Tasks per phase.
const TASKS: u64 = 2;

/// The phases of one update, shared by the calling thread and its helper.
pub struct Pair {
    /// Phase number × 4 + tasks of that phase claimed so far.
    state: AtomicU64,
    /// Tasks of the current phase finished.
    done: AtomicUsize,
    /// The current phase's work; set by the caller before it publishes the phase, cleared
    /// after every task of the phase has finished.
    job: UnsafeCell<Option<Job<'static>>>,
    /// The caller's work is over.
    quit: AtomicBool,
    /// The first panic of a task, re-raised on the calling thread.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// SAFETY: `job` is the only field without its own synchronisation. The caller writes it only
// while no task is claimed and unfinished (before publishing a phase with a Release store of
// `state`, and after seeing `done` reach the task count with Acquire); a helper reads it only
// after claiming a task of the published phase with an Acquire compare-exchange on `state`,
// and finishes with a Release increment of `done`. So every read happens after the write it
// sees and before the next write.
unsafe impl Sync for Pair {}

impl Pair {
    fn new() -> Self {
        Self {
            // Phase 0, fully claimed: nothing to do before the first phase.
            state: AtomicU64::new(TASKS),
            done: AtomicUsize::new(0),
            job: UnsafeCell::new(None),
            quit: AtomicBool::new(false),
            panic: Mutex::new(None),
        }
    }

    /// Runs `f(items[0])` and `f(items[1])`, side by side when the helper is there, and
    /// returns both results when both are done. `f` must not wait on rayon work (run its
    /// matrix products under [`icnet_train::linalg::serial`]): the other thread may be
    /// spinning for it.
    pub fn both<T: Send, R: Send>(&self, items: [T; 2], f: impl Fn(T) -> R + Sync) -> [R; 2] {
        let [a, b] = items;
        let slots = [Mutex::new(Some(a)), Mutex::new(Some(b))];
        let results: [Mutex<Option<R>>; 2] = [Mutex::new(None), Mutex::new(None)];
        let job = |task: usize| {
            let item = lock(&slots[task]).take().expect("each task runs once");
            let out = f(item);
            *lock(&results[task]) = Some(out);
        };
        self.run(&job);
        results.map(|r| {
            r.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("both tasks of a phase ran")
        })
    }

    /// Publishes `job` as the next phase, works on it, and returns when both tasks are done.
    fn run(&self, job: Job<'_>) {
        // SAFETY (lifetime extension): the reference is used only by a thread that has
        // claimed a task of this phase, and this function returns only after every claimed
        // task has finished (`done` reaches TASKS) and the reference has been cleared.
        let job: Job<'static> = unsafe { std::mem::transmute::<Job<'_>, Job<'static>>(job) };
        let phase = (self.state.load(Ordering::Relaxed) >> 2) + 1;
        // SAFETY: no task of the previous phase is unfinished (see `Sync`).
        unsafe { *self.job.get() = Some(job) };
        self.done.store(0, Ordering::Relaxed);
        self.state.store(phase << 2, Ordering::Release);
        while let Some(task) = self.claim(phase) {
            self.execute(job, task);
        }
        while self.done.load(Ordering::Acquire) < TASKS as usize {
            std::hint::spin_loop();
        }
        // SAFETY: every task of this phase has finished.
        unsafe { *self.job.get() = None };
        if let Some(p) = lock(&self.panic).take() {
            panic::resume_unwind(p);
        }
    }

    /// Claims the next unclaimed task of `phase`, if any.
    fn claim(&self, phase: u64) -> Option<usize> {
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if s >> 2 != phase || s & 3 >= TASKS {
                return None;
            }
            match self
                .state
                .compare_exchange_weak(s, s + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Some((s & 3) as usize),
                Err(now) => s = now,
            }
        }
    }

    fn execute(&self, job: Job<'_>, task: usize) {
        if let Err(p) = panic::catch_unwind(AssertUnwindSafe(|| job(task))) {
            lock(&self.panic).get_or_insert(p);
        }
        self.done.fetch_add(1, Ordering::Release);
    }

    /// The helper's loop: claim tasks as phases open, until the caller quits or no phase
    /// opens for [`PATIENCE`].
    fn help(&self) {
        let mut idle_since = Instant::now();
        let mut spins = 0u32;
        while !self.quit.load(Ordering::Acquire) {
            let phase = self.state.load(Ordering::Acquire) >> 2;
            if let Some(task) = self.claim(phase) {
                // SAFETY: this thread holds an unfinished task of the published phase, so
                // the caller set the job before publishing and keeps it until the task ends.
                let job = unsafe { *self.job.get() }.expect("a published phase has its work");
                self.execute(job, task);
                idle_since = Instant::now();
                continue;
            }
            // Between phases, help with the caller's own parallel work (the actor's cells
            // split their units into rayon jobs), or whatever else the pool has.
            if let Some(rayon::Yield::Executed) = rayon::yield_now() {
                idle_since = Instant::now();
                continue;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) && idle_since.elapsed() > PATIENCE {
                return;
            }
            std::hint::spin_loop();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` with a [`Pair`] whose phases an idle rayon worker, if there is one, helps with.
pub fn with_pair<R: Send>(f: impl FnOnce(&Pair) -> R + Send) -> R {
    let pair = Pair::new();
    if rayon::current_num_threads() < 2 || IN_PAIR.with(|p| p.get()) {
        // No one to help, or already inside a pair: every task on this thread.
        let _inside = InPair::enter();
        let _quit = QuitOnDrop(&pair.quit);
        return f(&pair);
    }
    let (out, ()) = rayon::join(
        || {
            let _inside = InPair::enter();
            let _quit = QuitOnDrop(&pair.quit);
            f(&pair)
        },
        || {
            // Run right here after the caller's work (nobody stole it), or stolen by a
            // thread that is busy with a pair of its own: nothing to do.
            if IN_PAIR.with(|p| p.get()) {
                return;
            }
            let _inside = InPair::enter();
            pair.help();
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// Many phases of unequal tasks on disjoint data give the serial results, with and
    /// without a second thread.
    #[test]
    fn phases_run_every_task_once_with_or_without_a_helper() {
        for threads in [1, 2] {
            let out = pool(threads).install(|| {
                let mut data = [vec![0u64; 1000], vec![0u64; 1000]];
                with_pair(|pair| {
                    for phase in 0..500u64 {
                        let [a, b] = &mut data;
                        let sums = pair.both([(0u64, a), (1, b)], |(j, v)| {
                            for (i, x) in v.iter_mut().enumerate() {
                                *x = x.wrapping_mul(31).wrapping_add(phase + j + i as u64);
                            }
                            v.iter().fold(0u64, |s, &x| s.wrapping_add(x))
                        });
                        assert_eq!(
                            sums[0],
                            data[0].iter().fold(0u64, |s, &x| s.wrapping_add(x))
                        );
                        assert_eq!(
                            sums[1],
                            data[1].iter().fold(0u64, |s, &x| s.wrapping_add(x))
                        );
                    }
                });
                data
            });
            let mut want = [vec![0u64; 1000], vec![0u64; 1000]];
            for phase in 0..500u64 {
                for (j, v) in want.iter_mut().enumerate() {
                    for (i, x) in v.iter_mut().enumerate() {
                        *x = x.wrapping_mul(31).wrapping_add(phase + j as u64 + i as u64);
                    }
                }
            }
            assert_eq!(out, want, "{threads} threads");
        }
    }

    #[test]
    fn a_task_panic_reaches_the_caller_after_both_tasks_end() {
        let finished = AtomicUsize::new(0);
        let result = pool(2).install(|| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                with_pair(|pair| {
                    pair.both([0, 1], |j| {
                        if j == 0 {
                            panic!("task 0 fails");
                        }
                        std::thread::sleep(Duration::from_millis(5));
                        finished.fetch_add(1, Ordering::SeqCst);
                    });
                })
            }))
        });
        assert!(result.is_err(), "the panic propagates");
        assert_eq!(finished.load(Ordering::SeqCst), 1, "task 1 ran to its end");
    }

    /// Two pairs on the two workers of a pool, each of many phases, with serial work in
    /// between (the reproduce pipeline runs SAC runs side by side): both finish.
    #[test]
    fn concurrent_pairs_do_not_deadlock() {
        let out = pool(2).install(|| {
            rayon::join(
                || {
                    with_pair(|pair| {
                        (0..300u64)
                            .map(|p| pair.both([p, p + 1], |x| x * 2).iter().sum::<u64>())
                            .sum::<u64>()
                    })
                },
                || {
                    with_pair(|pair| {
                        (0..300u64)
                            .map(|p| {
                                // A nested rayon section between phases.
                                let s: u64 = rayon::join(|| p, || p + 1).1;
                                pair.both([s, p], |x| x + 1).iter().sum::<u64>()
                            })
                            .sum::<u64>()
                    })
                },
            )
        });
        let a: u64 = (0..300u64).map(|p| 2 * p + 2 * (p + 1)).sum();
        let b: u64 = (0..300u64).map(|p| (p + 2) + (p + 1)).sum();
        assert_eq!(out, (a, b));
    }
}
