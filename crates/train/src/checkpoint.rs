//! Checkpoints of a training run: parameters, Adam's moments and step, and the learning
//! curve so far — everything needed to continue exactly where an interrupted run stopped.
//!
//! Every icnet checkpoint (this trainer's, the VIB trainer's, SAC's) shares one container
//! ([`write_container`], [`read_container`]): an 8-byte magic naming the kind, a
//! little-endian u64 header length, a JSON header, a binary payload, and the SHA-256 of
//! everything before it. Files are written to a temporary name and renamed, so a kill never
//! leaves half a file.
//!
//! This trainer's checkpoint (`ICNETCK1`): the header is a [`CheckpointHeader`]; the payload
//! holds, for each parameter in model order, its values, first and second moments as
//! little-endian f32.

use crate::models::Network;
use crate::optim::Adam;
use crate::trainer::{EpochRecord, TrainConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"ICNETCK1";

/// A checkpoint that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading or writing failed.
    #[error("cannot {action} checkpoint {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid checkpoint of this run.
    #[error("checkpoint {path} is unusable ({reason}); delete it to restart the run from scratch")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The JSON header of a checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointHeader {
    /// The run's configuration (a checkpoint of another configuration is ignored).
    pub config: TrainConfig,
    /// Adam steps taken.
    pub adam_step: u64,
    /// Parameter names and lengths, in model order.
    pub params: Vec<(String, usize)>,
    /// The learning curve so far.
    pub curve: Vec<EpochRecord>,
}

/// The state of a run after some epochs.
pub struct Checkpoint {
    /// Header.
    pub header: CheckpointHeader,
    /// Per parameter: values, first moments, second moments.
    pub tensors: Vec<[Vec<f32>; 3]>,
    /// The learning curve (same as in the header).
    pub curve: Vec<EpochRecord>,
}

impl Checkpoint {
    /// Captures the current state.
    pub fn capture(
        config: &TrainConfig,
        net: &dyn Network<f32>,
        adam: &Adam<f32>,
        curve: &[EpochRecord],
    ) -> Self {
        let params = net.params();
        let header = CheckpointHeader {
            config: config.clone(),
            adam_step: adam.step,
            params: params.iter().map(|p| (p.name.clone(), p.len())).collect(),
            curve: curve.to_vec(),
        };
        let tensors = params
            .iter()
            .zip(adam.m.iter().zip(&adam.v))
            .map(|(p, (m, v))| [p.value.clone(), m.clone(), v.clone()])
            .collect();
        Self {
            header,
            tensors,
            curve: curve.to_vec(),
        }
    }

    /// Writes the checkpoint atomically.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let header = header_json(path, &self.header)?;
        let mut payload = Vec::new();
        for tensor in &self.tensors {
            for part in tensor {
                put_f32s(&mut payload, part);
            }
        }
        write_container(path, MAGIC, &header, &payload)
    }

    /// Copies the saved state into a freshly built model and optimizer.
    pub fn restore(
        &self,
        net: &mut dyn Network<f32>,
        adam: &mut Adam<f32>,
    ) -> Result<(), CheckpointError> {
        let invalid = |reason: String| CheckpointError::Invalid {
            path: PathBuf::from("(checkpoint)"),
            reason,
        };
        let mut params = net.params_mut();
        if params.len() != self.tensors.len() {
            return Err(invalid(format!(
                "it holds {} parameters, the model {}",
                self.tensors.len(),
                params.len()
            )));
        }
        for (i, (p, [value, m, v])) in params.iter_mut().zip(&self.tensors).enumerate() {
            if p.len() != value.len() || p.name != self.header.params[i].0 {
                return Err(invalid(format!(
                    "parameter {} does not match the model",
                    p.name
                )));
            }
            p.value.copy_from_slice(value);
            adam.m[i].copy_from_slice(m);
            adam.v[i].copy_from_slice(v);
        }
        adam.step = self.header.adam_step;
        Ok(())
    }
}

/// Reads the checkpoint at `path` if it exists and belongs to `config`; `Ok(None)` when
/// there is none or it was written for another configuration.
pub fn load(path: &Path, config: &TrainConfig) -> Result<Option<Checkpoint>, CheckpointError> {
    let Some((header, payload)) =
        read_matching(path, MAGIC, |h: &CheckpointHeader| &h.config == config)?
    else {
        return Ok(None);
    };
    let want: usize = header.params.iter().map(|(_, n)| 3 * n).sum();
    let mut floats = f32s(path, &payload, want)?.into_iter();
    let tensors = header
        .params
        .iter()
        .map(|(_, n)| std::array::from_fn(|_| floats.by_ref().take(*n).collect()))
        .collect();
    let curve = header.curve.clone();
    Ok(Some(Checkpoint {
        header,
        tensors,
        curve,
    }))
}

/// The header of a checkpoint as JSON.
pub fn header_json(path: &Path, header: &impl Serialize) -> Result<Vec<u8>, CheckpointError> {
    serde_json::to_vec(header).map_err(|e| CheckpointError::Invalid {
        path: path.to_path_buf(),
        reason: format!("the header does not serialise: {e}"),
    })
}

/// Parses the JSON header read from the checkpoint at `path`.
pub fn parse_header<H: DeserializeOwned>(path: &Path, header: &[u8]) -> Result<H, CheckpointError> {
    serde_json::from_slice(header).map_err(|e| CheckpointError::Invalid {
        path: path.to_path_buf(),
        reason: format!("header is not valid JSON of this kind of checkpoint: {e}"),
    })
}

/// Appends `values` to a payload as little-endian f32.
pub fn put_f32s(payload: &mut Vec<u8>, values: &[f32]) {
    payload.reserve(4 * values.len());
    for v in values {
        payload.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads a payload of exactly `count` little-endian f32 (read from `path`).
pub fn f32s(path: &Path, payload: &[u8], count: usize) -> Result<Vec<f32>, CheckpointError> {
    if payload.len() != 4 * count {
        return Err(CheckpointError::Invalid {
            path: path.to_path_buf(),
            reason: format!(
                "it holds {} bytes of values, the header promises {}",
                payload.len(),
                4 * count
            ),
        });
    }
    Ok(payload
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Writes a checkpoint file atomically: `magic`, the header length, `header`, `payload` and
/// the SHA-256 of all of it.
pub fn write_container(
    path: &Path,
    magic: &[u8; 8],
    header: &[u8],
    payload: &[u8],
) -> Result<(), CheckpointError> {
    let io = |action, source| CheckpointError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::with_capacity(16 + header.len() + payload.len() + 32);
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(payload);
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("rename into place", e))
}

/// The two parts of a checkpoint file: its JSON header and its binary payload.
pub type Container = (Vec<u8>, Vec<u8>);

/// Reads the checkpoint at `path` (written with `magic`) and parses its JSON header; `None`
/// when there is no file or `belongs` rejects the header (a checkpoint of another
/// configuration, which the run ignores).
pub fn read_matching<H: DeserializeOwned>(
    path: &Path,
    magic: &[u8; 8],
    belongs: impl FnOnce(&H) -> bool,
) -> Result<Option<(H, Vec<u8>)>, CheckpointError> {
    let Some((header, payload)) = read_container(path, magic)? else {
        return Ok(None);
    };
    let header: H = parse_header(path, &header)?;
    Ok(belongs(&header).then_some((header, payload)))
}

/// Reads the checkpoint file at `path` written by [`write_container`] with `magic`: its
/// header and payload, or `None` when there is no file. A damaged file, or one of another
/// kind, is an error naming it.
pub fn read_container(path: &Path, magic: &[u8; 8]) -> Result<Option<Container>, CheckpointError> {
    let invalid = |reason: String| CheckpointError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CheckpointError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if bytes.len() < 16 + 32 || &bytes[..8] != magic {
        return Err(invalid(format!(
            "not an icnet {} checkpoint (bad magic or too short)",
            String::from_utf8_lossy(magic)
        )));
    }
    let (body, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(invalid("checksum mismatch (the file is corrupt)".into()));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&body[8..16]);
    let header_len = u64::from_le_bytes(len);
    let header_end = usize::try_from(header_len)
        .ok()
        .and_then(|n| n.checked_add(16))
        .filter(|&e| e <= body.len())
        .ok_or_else(|| invalid("header length runs past the end".into()))?;
    Ok(Some((
        body[16..header_end].to_vec(),
        body[header_end..].to_vec(),
    )))
}
