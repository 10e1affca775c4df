//! The run cache: `<cache>/<hash>/record.json` plus the run's artefacts.
//!
//! A run is computed in `<cache>/<hash>.tmp-<pid>/` and renamed to `<cache>/<hash>/` only after
//! its `record.json` is written, so a directory named by a bare hash is always complete and an
//! interrupted run leaves nothing that looks finished.
//!
//! Several processes may share one cache (`icnet run` workers of a scheduler): each computes in
//! its own temporary directory, and when two finish the same run the first rename wins and the
//! second discards its (identical) copy, so both end with a valid entry. A forced rerun
//! (`--force`) moves the old entry aside to `<hash>.old-<pid>` before renaming the new one in.
//! Temporary and set-aside directories of dead processes are swept by `icnet reproduce`
//! ([`RunCache::sweep_stale`]); workers never sweep, because on a cache shared between machines
//! a process id says nothing about another machine's processes.

use crate::fsutil;
use crate::registry::RunRecord;
use anyhow::Result;
use std::fs;
use std::path::{Path, PathBuf};

/// Name of the record file inside a run directory; its presence marks the run as finished.
pub const RECORD_FILE: &str = "record.json";

/// Subdirectory of the cache where long runs keep their checkpoints (see
/// [`crate::registry::RunContext::checkpoint_path`]); not a run.
pub const CHECKPOINTS_DIR: &str = "checkpoints";

/// A directory of cached runs.
#[derive(Clone, Debug)]
pub struct RunCache {
    root: PathBuf,
}

impl RunCache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RunCache { root: root.into() }
    }

    /// The cache directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the cache directory and checks that it is writable.
    pub fn ensure_writable(&self) -> Result<()> {
        fsutil::ensure_writable_dir(&self.root, "--cache")
    }

    /// Directory of the finished run with this hash.
    pub fn dir_for(&self, hash: &str) -> PathBuf {
        self.root.join(hash)
    }

    /// Whether a finished run with this hash exists.
    pub fn contains(&self, hash: &str) -> bool {
        self.dir_for(hash).join(RECORD_FILE).is_file()
    }

    /// Loads the finished run with this hash, or `None` if there is none or its record is
    /// unreadable (such a run is recomputed and replaced).
    pub fn load(&self, hash: &str) -> Option<RunRecord> {
        let dir = self.dir_for(hash);
        let text = fs::read_to_string(dir.join(RECORD_FILE)).ok()?;
        let mut record: RunRecord = serde_json::from_str(&text).ok()?;
        if record.hash != hash {
            return None;
        }
        record.dir = dir;
        Some(record)
    }

    /// Starts computing the run with this hash in a fresh temporary directory.
    pub fn begin(&self, hash: &str) -> Result<PendingRun> {
        let final_dir = self.dir_for(hash);
        let temp_dir = self.root.join(format!("{hash}.tmp-{}", std::process::id()));
        if temp_dir.exists() {
            let _ = fs::remove_dir_all(&temp_dir);
        }
        fs::create_dir_all(&temp_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create run directory {}: {e}; pass a writable --cache directory",
                temp_dir.display()
            )
        })?;
        Ok(PendingRun {
            temp_dir,
            final_dir,
            done: false,
        })
    }

    /// Removes what processes that no longer exist left behind: temporary run directories
    /// (`<hash>.tmp-<pid>`), set-aside entries of forced reruns (`<hash>.old-<pid>`), and
    /// temporary checkpoint files (`checkpoints/<hash>.tmp<pid>`). Only on systems with
    /// `/proc`, where liveness can be checked; returns how many entries were removed.
    pub fn sweep_stale(&self) -> usize {
        if !Path::new("/proc/self").exists() {
            return 0;
        }
        let dead = |pid: &str| {
            pid.parse::<u32>().is_ok_and(|pid| {
                pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
            })
        };
        let mut removed = 0;
        for entry in fs::read_dir(&self.root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .rsplit_once(".tmp-")
                .or_else(|| name.rsplit_once(".old-"))
                .map(|(_, pid)| pid);
            if pid.is_some_and(dead) && fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
        }
        let checkpoints = self.root.join(CHECKPOINTS_DIR);
        for entry in fs::read_dir(checkpoints).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.rsplit_once(".tmp").map(|(_, pid)| pid);
            if pid.is_some_and(dead) && fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

/// A run being computed; dropped without [`finish`](PendingRun::finish), it removes its
/// temporary directory.
pub struct PendingRun {
    temp_dir: PathBuf,
    final_dir: PathBuf,
    done: bool,
}

impl PendingRun {
    /// The temporary directory the run writes its artefacts into.
    pub fn dir(&self) -> &Path {
        &self.temp_dir
    }

    /// Writes `record.json` and moves the run into place. If another process finished the
    /// same run first (even while this one was renaming), its copy is kept and this one
    /// discarded (both are equal by construction).
    pub fn finish(self, record: RunRecord) -> Result<RunRecord> {
        self.finish_with(record, false)
    }

    /// Like [`finish`](PendingRun::finish), but replaces a finished entry of the same hash
    /// (`--force`). The old entry is renamed aside first, so at every moment the hash names
    /// either the old complete run, nothing, or the new complete run.
    pub fn finish_replacing(self, record: RunRecord) -> Result<RunRecord> {
        self.finish_with(record, true)
    }

    fn finish_with(mut self, mut record: RunRecord, replace: bool) -> Result<RunRecord> {
        fsutil::write_json_atomic(&self.temp_dir.join(RECORD_FILE), &record)?;
        record.dir = self.final_dir.clone();
        let finished = |dir: &Path| dir.join(RECORD_FILE).is_file();
        if self.final_dir.exists() {
            if finished(&self.final_dir) && !replace {
                // A concurrent process finished first.
                let _ = fs::remove_dir_all(&self.temp_dir);
                self.done = true;
                return Ok(record);
            }
            // A forced rerun, or a broken leftover: move it aside, then delete it.
            let aside = self
                .final_dir
                .with_extension(format!("old-{}", std::process::id()));
            let _ = fs::remove_dir_all(&aside);
            if fs::rename(&self.final_dir, &aside).is_ok() {
                let _ = fs::remove_dir_all(&aside);
            }
        }
        if let Err(e) = fs::rename(&self.temp_dir, &self.final_dir) {
            // Another process may have renamed its copy in between our check and our rename
            // (the target is then a non-empty directory); its copy is as good as ours.
            if finished(&self.final_dir) {
                let _ = fs::remove_dir_all(&self.temp_dir);
                self.done = true;
                return Ok(record);
            }
            anyhow::bail!(
                "cannot move finished run to {}: {e}; check that the --cache directory is writable",
                self.final_dir.display()
            );
        }
        self.done = true;
        Ok(record)
    }
}

impl Drop for PendingRun {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.temp_dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::RunSpec;

    fn record(hash: &str) -> RunRecord {
        RunRecord {
            format: 1,
            hash: hash.to_string(),
            spec: RunSpec::new("e", "main", serde_json::json!({"a": 1}), 0),
            source_hash: "src".into(),
            tool_version: "0".into(),
            wall_time_s: 0.5,
            threads: 1,
            summary: serde_json::json!({"x": 2.0}),
            files: vec!["a.json".into()],
            dir: PathBuf::new(),
        }
    }

    #[test]
    fn finished_runs_are_found_and_unfinished_ones_leave_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = RunCache::new(tmp.path());
        cache.ensure_writable().unwrap();
        assert!(!cache.contains("abc"));

        // An abandoned run (error or panic in execute) must not look finished.
        {
            let pending = cache.begin("abc").unwrap();
            fs::write(pending.dir().join("a.json"), "{}").unwrap();
        }
        assert!(!cache.contains("abc"));
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);

        let pending = cache.begin("abc").unwrap();
        fs::write(pending.dir().join("a.json"), "{}").unwrap();
        let done = pending.finish(record("abc")).unwrap();
        assert_eq!(done.dir, tmp.path().join("abc"));
        assert!(cache.contains("abc"));
        let loaded = cache.load("abc").unwrap();
        assert_eq!(loaded.summary_f64("x").unwrap(), 2.0);
        assert!(loaded.path("a.json").is_file());
    }

    #[test]
    fn a_record_under_the_wrong_hash_or_corrupt_is_not_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = RunCache::new(tmp.path());
        let pending = cache.begin("abc").unwrap();
        pending.finish(record("other")).unwrap();
        assert!(cache.load("abc").is_none());
        fs::write(tmp.path().join("abc").join(RECORD_FILE), "{not json").unwrap();
        assert!(cache.load("abc").is_none());
        // Recomputing replaces the broken directory.
        let pending = cache.begin("abc").unwrap();
        fs::remove_file(tmp.path().join("abc").join(RECORD_FILE)).unwrap();
        pending.finish(record("abc")).unwrap();
        assert!(cache.load("abc").is_some());
    }

    #[test]
    fn stale_temporary_directories_of_dead_processes_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = RunCache::new(tmp.path());
        // PID 4294967 is above Linux's pid_max limit, so never alive.
        let stale = tmp.path().join("abc.tmp-4294967");
        fs::create_dir_all(&stale).unwrap();
        cache.sweep_stale();
        if Path::new("/proc/self").exists() {
            assert!(!stale.exists());
        }
    }

    #[test]
    fn a_forced_rerun_replaces_the_entry_and_a_plain_one_keeps_it() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = RunCache::new(tmp.path());
        cache.begin("abc").unwrap().finish(record("abc")).unwrap();
        let mut newer = record("abc");
        newer.summary = serde_json::json!({"x": 3.0});
        // Without force the existing (concurrently finished) entry wins.
        cache.begin("abc").unwrap().finish(newer.clone()).unwrap();
        assert_eq!(cache.load("abc").unwrap().summary_f64("x").unwrap(), 2.0);
        // With force the new one replaces it, and nothing is left aside.
        let pending = cache.begin("abc").unwrap();
        fs::write(pending.dir().join("b.json"), "{}").unwrap();
        pending.finish_replacing(newer).unwrap();
        let loaded = cache.load("abc").unwrap();
        assert_eq!(loaded.summary_f64("x").unwrap(), 3.0);
        assert!(loaded.path("b.json").is_file());
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["abc".to_string()]);
    }

    #[test]
    fn racing_processes_both_end_with_a_valid_entry() {
        // Two pending runs of one hash, as two processes would have; both finish.
        let tmp = tempfile::tempdir().unwrap();
        let cache = RunCache::new(tmp.path());
        let first = cache.begin("abc").unwrap();
        let second = PendingRun {
            temp_dir: tmp.path().join("abc.tmp-1"),
            final_dir: tmp.path().join("abc"),
            done: false,
        };
        fs::create_dir_all(second.dir()).unwrap();
        fs::write(second.dir().join("a.json"), "{}").unwrap();
        let a = first.finish(record("abc")).unwrap();
        let b = second.finish(record("abc")).unwrap();
        assert_eq!(a.dir, b.dir);
        assert!(cache.load("abc").is_some());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn set_aside_entries_and_checkpoint_temporaries_of_dead_processes_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = RunCache::new(tmp.path());
        let checkpoints = tmp.path().join(CHECKPOINTS_DIR);
        fs::create_dir_all(tmp.path().join("abc.old-4294967")).unwrap();
        fs::create_dir_all(&checkpoints).unwrap();
        fs::write(checkpoints.join("abc.tmp4294967"), "x").unwrap();
        fs::write(checkpoints.join("abc.ck"), "x").unwrap();
        let own = format!("def.tmp-{}", std::process::id());
        fs::create_dir_all(tmp.path().join(&own)).unwrap();
        if Path::new("/proc/self").exists() {
            assert_eq!(cache.sweep_stale(), 2);
            assert!(!tmp.path().join("abc.old-4294967").exists());
            assert!(
                checkpoints.join("abc.ck").is_file(),
                "live checkpoints stay"
            );
            assert!(tmp.path().join(own).is_dir(), "our own temporary stays");
        }
    }
}
