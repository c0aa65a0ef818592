//! The credentials an identity holds: issued to its DID by others, checked when added, kept
//! beside its keys (owner-only, one file per credential named by the digest of its content, so
//! adding the same credential twice keeps one).

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Keystore, ensure_mode, replace_private_file, validate_name};
use crate::error::{Error, Result};

impl Keystore {
    /// Keeps `credential` (already verified, and issued to this identity's DID) for identity
    /// `name`; where it is kept.
    pub fn add_credential(&self, name: &str, credential: &Value) -> Result<PathBuf> {
        let dir = self.credentials_dir(name)?;
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(|e| Error::io("creating", &dir, e))?;
        ensure_mode(&dir, 0o700)?;
        let bytes = serde_json::to_vec_pretty(credential).map_err(|e| Error::Credential(e.to_string()))?;
        let path = dir.join(format!("{}.json", &crate::hex(&Sha256::digest(&bytes))[..32]));
        replace_private_file(&path, &bytes)?;
        Ok(path)
    }

    /// The credentials identity `name` holds, as stored (a file that is not a credential is
    /// reported, not skipped silently).
    pub fn credentials(&self, name: &str) -> Result<Vec<(PathBuf, Result<Value>)>> {
        let dir = self.credentials_dir(name)?;
        let Ok(entries) = fs::read_dir(&dir) else { return Ok(Vec::new()) };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        Ok(paths
            .into_iter()
            .map(|path| {
                let read = fs::read_to_string(&path)
                    .map_err(|e| Error::io("reading", &path, e))
                    .and_then(|text| crate::credential::parse(&text));
                (path, read)
            })
            .collect())
    }

    fn credentials_dir(&self, name: &str) -> Result<PathBuf> {
        validate_name(name)?;
        Ok(self.home().join("credentials").join(name))
    }
}
