//! The run cache: `<cache>/<hash>/record.json` plus the run's artefacts.
//!
//! A run is computed in `<cache>/<hash>.tmp-<pid>/` and renamed to `<cache>/<hash>/` only after
//! its `record.json` is written, so a directory named by a bare hash is always complete and an
//! interrupted run leaves nothing that looks finished.

use crate::fsutil;
use crate::registry::RunRecord;
use anyhow::Result;
use std::fs;
use std::path::{Path, PathBuf};

/// Name of the record file inside a run directory; its presence marks the run as finished.
pub const RECORD_FILE: &str = "record.json";

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

    /// Removes temporary run directories left by processes that no longer exist.
    /// Only on systems with `/proc`, where liveness can be checked.
    pub fn sweep_stale(&self) {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((_, pid)) = name.rsplit_once(".tmp-") else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
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
    /// same run first, its copy is kept and this one discarded (both are equal by construction).
    pub fn finish(mut self, mut record: RunRecord) -> Result<RunRecord> {
        fsutil::write_json_atomic(&self.temp_dir.join(RECORD_FILE), &record)?;
        if self.final_dir.exists() {
            // A complete run already there (concurrent process) or a broken leftover.
            if self.final_dir.join(RECORD_FILE).is_file() {
                let _ = fs::remove_dir_all(&self.temp_dir);
                self.done = true;
                record.dir = self.final_dir.clone();
                return Ok(record);
            }
            let _ = fs::remove_dir_all(&self.final_dir);
        }
        fs::rename(&self.temp_dir, &self.final_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot move finished run to {}: {e}; check that the --cache directory is writable",
                self.final_dir.display()
            )
        })?;
        self.done = true;
        record.dir = self.final_dir.clone();
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
}
