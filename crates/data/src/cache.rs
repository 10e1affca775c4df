//! The cache of built data sets: `<data_dir>/built/<kind>-<ntrain>-<ntest>-seed<seed>.bin`.
//!
//! Format (version 1, integers little-endian):
//!
//! ```text
//! offset  size        field
//! 0       8           magic "ICNETMUL"
//! 8       4           format version (1)
//! 12      1           kind (0 multi-mnist, 1 multi-fashion, 2 multi-fashion-mnist)
//! 13      3           zero
//! 16      8           seed
//! 24      8           n_train
//! 32      8           n_test
//! 40      4           canvas side (36)
//! 44      4           L, length of the source description
//! 48      L           source description (UTF-8)
//! 48+L    32          content checksum (SHA-256, see compose::content_checksum)
//! …       n_train·1296 training images, then n_train label1, then n_train label2
//! …       n_test·1296  test images, then n_test label1, then n_test label2
//! end−32  32          SHA-256 of every byte before it
//! ```
//!
//! Files are written to a temporary sibling and renamed into place, so a reader never sees a
//! half-written cache. Loading verifies the trailing SHA-256; a mismatch is an error (the file
//! is corrupt) rather than a silent rebuild.

use crate::compose::{hex, DatasetKind, MultiDataset, MultiSet, CANVAS, PIXELS};
use crate::error::DataError;
use crate::sources;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// First bytes of a cache file.
pub const MAGIC: &[u8; 8] = b"ICNETMUL";
/// Format version written and read.
pub const VERSION: u32 = 1;
/// Longest source description accepted (guards allocation on a corrupt header).
const MAX_SOURCE_LEN: u32 = 64 * 1024;

/// Cache file of a data set: `<data_dir>/built/<kind>-<ntrain>-<ntest>-seed<seed>.bin`.
pub fn cache_path(
    data_dir: &Path,
    kind: DatasetKind,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> PathBuf {
    data_dir
        .join("built")
        .join(format!("{kind}-{n_train}-{n_test}-seed{seed}.bin"))
}

/// The header fields of a cache file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheHeader {
    /// Format version.
    pub version: u32,
    /// Data set.
    pub kind: DatasetKind,
    /// Seed of the composition.
    pub seed: u64,
    /// Training composites.
    pub n_train: usize,
    /// Test composites.
    pub n_test: usize,
    /// Source description.
    pub source: String,
}

/// Writes `data` (composed with `seed`) to `path` atomically, creating the directory.
pub fn write_cache(path: &Path, data: &MultiDataset, seed: u64) -> Result<(), DataError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DataError::io("create directory", dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_file(&temp, data, seed)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| DataError::io("write", path, e));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn write_file(temp: &Path, data: &MultiDataset, seed: u64) -> std::io::Result<()> {
    let file = File::create(temp)?;
    let mut w = HashingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hash: Sha256::new(),
    };
    let checksum = decode_hex(&data.checksum).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the data set checksum is not 64 hex digits",
        )
    })?;
    let source = data.source.as_bytes();
    w.put(MAGIC)?;
    w.put(&VERSION.to_le_bytes())?;
    w.put(&[data.kind.code(), 0, 0, 0])?;
    w.put(&seed.to_le_bytes())?;
    w.put(&(data.train.n as u64).to_le_bytes())?;
    w.put(&(data.test.n as u64).to_le_bytes())?;
    w.put(&(CANVAS as u32).to_le_bytes())?;
    w.put(&(source.len() as u32).to_le_bytes())?;
    w.put(source)?;
    w.put(&checksum)?;
    for set in [&data.train, &data.test] {
        w.put(&set.images)?;
        w.put(&set.label1)?;
        w.put(&set.label2)?;
    }
    let digest = w.hash.finalize();
    w.inner.write_all(&digest)?;
    let file = w.inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hash.update(bytes);
        self.inner.write_all(bytes)
    }
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

struct HashingReader<R: Read> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn get(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.inner.read_exact(&mut buf)?;
        self.hash.update(&buf);
        Ok(buf)
    }

    fn u32(&mut self) -> std::io::Result<u32> {
        let b = self.get(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> std::io::Result<u64> {
        let b = self.get(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(&b);
        Ok(u64::from_le_bytes(a))
    }
}

/// Reads only the header of a cache file (cheap; the content is not verified).
pub fn read_header(path: &Path) -> Result<CacheHeader, DataError> {
    let (header, _) = open(path)?;
    Ok(header)
}

type Reader = HashingReader<BufReader<File>>;

fn open(path: &Path) -> Result<(CacheHeader, Reader), DataError> {
    let bad = |reason: String| DataError::Cache {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(|e| DataError::io("read", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| DataError::io("read", path, e))?
        .len();
    let mut r = HashingReader {
        inner: BufReader::with_capacity(1 << 20, file),
        hash: Sha256::new(),
    };
    let short = |_| bad(format!("it ends inside its header ({len} bytes)"));
    if r.get(8).map_err(short)? != MAGIC {
        return Err(bad(
            "it does not start with the icnet cache magic bytes".into()
        ));
    }
    let version = r.u32().map_err(short)?;
    let kind_bytes = r.get(4).map_err(short)?;
    let seed = r.u64().map_err(short)?;
    let n_train = r.u64().map_err(short)?;
    let n_test = r.u64().map_err(short)?;
    let canvas = r.u32().map_err(short)?;
    let source_len = r.u32().map_err(short)?;
    let kind = DatasetKind::from_code(kind_bytes[0])
        .ok_or_else(|| bad(format!("unknown data-set code {}", kind_bytes[0])))?;
    if canvas as usize != CANVAS {
        return Err(bad(format!("canvas side {canvas}, expected {CANVAS}")));
    }
    if source_len > MAX_SOURCE_LEN {
        return Err(bad(format!("source description of {source_len} bytes")));
    }
    let source = String::from_utf8(r.get(source_len as usize).map_err(short)?)
        .map_err(|_| bad("the source description is not UTF-8".into()))?;
    let expected = (n_train.checked_add(n_test))
        .and_then(|n| n.checked_mul(PIXELS as u64 + 2))
        .and_then(|n| n.checked_add(48 + u64::from(source_len) + 32 + 32));
    if expected != Some(len) {
        return Err(bad(format!(
            "it has {len} bytes but its header describes {}",
            expected.map_or("an impossible size".into(), |e| e.to_string())
        )));
    }
    let header = CacheHeader {
        version,
        kind,
        seed,
        n_train: n_train as usize,
        n_test: n_test as usize,
        source,
    };
    Ok((header, r))
}

/// Reads and verifies a cache file written by [`write_cache`].
pub fn read_cache(path: &Path) -> Result<(CacheHeader, MultiDataset), DataError> {
    let bad = |reason: String| DataError::Cache {
        path: path.to_path_buf(),
        reason,
    };
    let (header, mut r) = open(path)?;
    if header.version != VERSION {
        return Err(bad(format!(
            "format version {}, this icnet reads version {VERSION}",
            header.version
        )));
    }
    let io = |e| DataError::io("read", path, e);
    let checksum = r.get(32).map_err(io)?;
    let mut read_set = |n: usize| -> Result<MultiSet, DataError> {
        Ok(MultiSet {
            n,
            images: r.get(n * PIXELS).map_err(io)?,
            label1: r.get(n).map_err(io)?,
            label2: r.get(n).map_err(io)?,
        })
    };
    let train = read_set(header.n_train)?;
    let test = read_set(header.n_test)?;
    let digest = r.hash.finalize();
    let mut stored = [0u8; 32];
    r.inner.read_exact(&mut stored).map_err(io)?;
    if digest[..] != stored[..] {
        return Err(bad(
            "its SHA-256 does not match its content, so it is corrupt".into(),
        ));
    }
    for (name, set) in [("training set", &train), ("test set", &test)] {
        set.check().map_err(|e| bad(format!("{name}: {e}")))?;
    }
    let data = MultiDataset {
        kind: header.kind,
        train,
        test,
        checksum: hex(&checksum),
        source: header.source.clone(),
    };
    Ok((header, data))
}

/// The data set `kind` of `n_train` / `n_test` composites and `seed`: read from the cache
/// under `<data_dir>/built/` if it is there, else built from the raw sources under
/// `<data_dir>/raw/` (see [`sources::build`]) and cached.
///
/// A cache written for a different source (e.g. after setting `ICNET_MNIST_IDX`) or by an
/// older cache format is rebuilt; a corrupt one is an error naming the file.
pub fn load_or_build(
    data_dir: &Path,
    kind: DatasetKind,
    n_train: usize,
    n_test: usize,
    seed: u64,
) -> Result<MultiDataset, DataError> {
    let path = cache_path(data_dir, kind, n_train, n_test, seed);
    let planned = sources::planned_source(data_dir, kind)?;
    if path.is_file() {
        let header = read_header(&path)?;
        if header.version == VERSION && header.source == planned {
            let (header, data) = read_cache(&path)?;
            if (header.kind, header.n_train, header.n_test, header.seed)
                != (kind, n_train, n_test, seed)
            {
                return Err(DataError::Cache {
                    path,
                    reason: format!(
                        "it holds {} {}/{} seed {}, which its name contradicts",
                        header.kind, header.n_train, header.n_test, header.seed
                    ),
                });
            }
            return Ok(data);
        }
    }
    let data = sources::build(data_dir, kind, n_train, n_test, seed)?;
    write_cache(&path, &data, seed)?;
    Ok(data)
}
