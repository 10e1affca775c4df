//! Atomic file writes and output-directory checks.
//!
//! Every output is written to a temporary file in the same directory and renamed into place,
//! so a reader (or an interrupted run) never sees a half-written file under its final name.

use anyhow::{Context, Result};
use serde::Serialize;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary path next to `path` (same directory, so `rename` is atomic) that keeps the
/// extension of `path`, which encoders such as the PNG writer rely on.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!(
            ".{stem}.tmp-{}-{n}.{}",
            std::process::id(),
            ext.to_string_lossy()
        ),
        None => format!(".{stem}.tmp-{}-{n}", std::process::id()),
    };
    path.with_file_name(name)
}

/// Moves a finished temporary file onto `path`, removing the temporary file on failure.
pub fn commit_temp(temp: &Path, path: &Path) -> Result<()> {
    fs::rename(temp, path).map_err(|e| {
        let _ = fs::remove_file(temp);
        anyhow::anyhow!(
            "cannot write {}: {e}; check that its directory is writable",
            path.display()
        )
    })
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| {
            anyhow::anyhow!(
                "cannot create directory {}: {e}; choose a writable location",
                parent.display()
            )
        })?;
    }
    let temp = temp_sibling(path);
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        anyhow::bail!(
            "cannot write {}: {e}; check that its directory is writable",
            path.display()
        );
    }
    commit_temp(&temp, path)
}

/// Writes `value` as pretty JSON (with a trailing newline) to `path` atomically.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .with_context(|| format!("cannot serialise {}", path.display()))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Creates `dir` (and its parents) and proves it writable by creating and removing a probe
/// file. `flag` names the command-line option that chose it, for the error message.
pub fn ensure_writable_dir(dir: &Path, flag: &str) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create {flag} directory {}: {e}; pass a writable path with {flag}",
            dir.display()
        )
    })?;
    let probe = temp_sibling(&dir.join("write-probe"));
    fs::write(&probe, b"probe").map_err(|e| {
        anyhow::anyhow!(
            "cannot write to {flag} directory {}: {e}; pass a writable path with {flag}",
            dir.display()
        )
    })?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// The process id in the name of a temporary file made by [`temp_sibling`]
/// (`.<stem>.tmp-<pid>-<n>[.<ext>]`), or `None` for any other name.
pub fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.rsplit_once(".tmp-")?.1;
    let (pid, counter) = rest.split_once('-')?;
    let counter = counter.split('.').next()?;
    counter.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Removes temporary files of processes that no longer exist (a SIGKILL between writing and
/// renaming leaves one behind) from `dir` and its subdirectories, to `depth` levels. Only on
/// systems with `/proc`; returns how many files were removed.
pub fn sweep_stale_temps(dir: &Path, depth: usize) -> usize {
    if !Path::new("/proc/self").exists() {
        return 0;
    }
    let mut removed = 0;
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth > 0 {
                removed += sweep_stale_temps(&path, depth - 1);
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = temp_owner(&name).is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        });
        if stale && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["out.json".to_string()]);
    }

    #[test]
    fn temp_sibling_keeps_directory_and_extension() {
        let p = Path::new("/a/b/fig.png");
        let t = temp_sibling(p);
        assert_eq!(t.parent(), p.parent());
        assert_eq!(t.extension().unwrap(), "png");
        assert_ne!(t, temp_sibling(p));
    }

    #[test]
    fn atomic_write_into_unwritable_place_fails_with_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        fs::write(&file, b"x").unwrap();
        // A regular file cannot hold children, even for root.
        let err = write_atomic(&file.join("out.json"), b"y")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot create directory"), "{err}");
        let err = ensure_writable_dir(&file.join("d"), "--out")
            .unwrap_err()
            .to_string();
        assert!(err.contains("--out") && !err.contains('\n'), "{err}");
    }

    #[test]
    fn json_is_pretty_with_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json_atomic(&path, &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\n  \"a\": 1\n}\n");
    }

    #[test]
    fn temporary_names_are_recognised_and_stale_ones_swept() {
        let t = temp_sibling(Path::new("/x/fig.png"));
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(temp_owner(&name), Some(std::process::id()));
        assert_eq!(temp_owner(".index.tmp-12-3"), Some(12));
        assert_eq!(temp_owner("fig.png"), None);
        assert_eq!(temp_owner(".fig.tmp-x-3.png"), None);
        assert_eq!(temp_owner(".fig.tmp-12.png"), None);

        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("figures");
        fs::create_dir_all(&sub).unwrap();
        // PID 4294967 is above Linux's pid_max, so never alive.
        fs::write(sub.join(".fig.tmp-4294967-0.svg"), "half").unwrap();
        fs::write(dir.path().join(".index.tmp-4294967-1.md"), "half").unwrap();
        fs::write(sub.join("fig.svg"), "whole").unwrap();
        let own = temp_sibling(&sub.join("own.svg"));
        fs::write(&own, "mine").unwrap();
        if Path::new("/proc/self").exists() {
            assert_eq!(sweep_stale_temps(dir.path(), 1), 2);
            assert!(sub.join("fig.svg").is_file() && own.is_file());
        }
    }
}
