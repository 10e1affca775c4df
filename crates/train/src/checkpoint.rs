//! Checkpoints of a training run: parameters, Adam's moments and step, and the learning
//! curve so far — everything needed to continue exactly where an interrupted run stopped.
//!
//! Format: `ICNETCK1`, a little-endian u64 header length, the JSON header
//! ([`CheckpointHeader`]), then for each parameter in model order its values, first and
//! second moments as little-endian f32, and finally the SHA-256 of everything before it.
//! Files are written to a temporary name and renamed, so a kill never leaves half a file.

use crate::models::Network;
use crate::optim::Adam;
use crate::trainer::{EpochRecord, TrainConfig};
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
        let io = |action, source| CheckpointError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let header = serde_json::to_vec(&self.header).map_err(|e| CheckpointError::Invalid {
            path: path.to_path_buf(),
            reason: format!("header does not serialise: {e}"),
        })?;
        let floats: usize = self.tensors.iter().map(|t| 3 * t[0].len()).sum();
        let mut bytes = Vec::with_capacity(16 + header.len() + 4 * floats + 32);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&header);
        for tensor in &self.tensors {
            for part in tensor {
                for x in part {
                    bytes.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &bytes).map_err(|e| io("write", e))?;
        std::fs::rename(&tmp, path).map_err(|e| io("rename into place", e))
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
    if bytes.len() < 16 + 32 || &bytes[..8] != MAGIC {
        return Err(invalid(
            "not an icnet checkpoint (bad magic or too short)".into(),
        ));
    }
    let (body, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != digest {
        return Err(invalid("checksum mismatch (the file is corrupt)".into()));
    }
    let header_len = u64::from_le_bytes(body[8..16].try_into().expect("8 bytes")) as usize;
    let header_end = 16usize
        .checked_add(header_len)
        .filter(|&e| e <= body.len())
        .ok_or_else(|| invalid("header length runs past the end".into()))?;
    let header: CheckpointHeader = serde_json::from_slice(&body[16..header_end])
        .map_err(|e| invalid(format!("header is not valid JSON: {e}")))?;
    if &header.config != config {
        return Ok(None);
    }
    let mut floats = body[header_end..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")));
    let want: usize = header.params.iter().map(|(_, n)| 3 * n).sum();
    if (body.len() - header_end) != 4 * want {
        return Err(invalid(format!(
            "it holds {} bytes of tensors, the header promises {}",
            body.len() - header_end,
            4 * want
        )));
    }
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
