//! The local keystore: the only place a party's secrets live.
//!
//! A directory (mode 0700) holds one file per named identity, `identities/<name>.json` (mode
//! 0600): the public record in clear, so `list` and `show` need no passphrase, and the secret keys
//! sealed under the passphrase. Files are written to a temporary name, flushed to disk, then
//! linked into place, so a crash or a concurrent writer can never leave a half-written identity
//! where a good one was, and two `new`s racing for one name cannot both win.

mod ledger;
mod sealed;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::did::{MediatorEndpoint, key as did_key, peer2};
use crate::error::{Error, Result};
use crate::keys::{PartyKeys, PublicKey};
use sealed::{OpenError, Sealed};

/// The file format tag; also part of the AEAD's associated data.
const FORMAT: &str = "mpc-id-keystore/1";

/// Which DID method an identity uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DidMethod {
    /// `did:key`: the Ed25519 key alone; the X25519 key is derived from it.
    Key,
    /// `did:peer:2`: both keys and the mediator endpoint in the identifier.
    Peer,
    /// `did:webvh`: a signed, hash-chained log hosted by a mediator; keys and endpoint can change.
    Webvh,
}

/// The public part of an identity: what `show` prints and what others may know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRecord {
    /// The identity's local name (a file name).
    pub name: String,
    /// Its DID.
    pub did: String,
    /// How its DID was made.
    pub method: DidMethod,
    /// Ed25519 public key, multikey.
    pub authentication_key: String,
    /// X25519 public key, multikey.
    pub key_agreement_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The mediator its DID names, if any.
    pub mediator: Option<MediatorEndpoint>,
    /// RFC 3339, UTC.
    pub created: String,
}

impl IdentityRecord {
    /// The DID URL of the key that signs for this identity.
    pub fn signing_kid(&self) -> String {
        match self.method {
            DidMethod::Key => format!("{}#{}", self.did, self.authentication_key),
            DidMethod::Peer => format!("{}#key-2", self.did),
            DidMethod::Webvh => format!("{}#key-1", self.did),
        }
    }

    /// Recomputes the DID from the keys and mediator, so an edited record is noticed.
    fn expected_did(&self) -> Result<String> {
        let ed = PublicKey::from_multikey(&self.authentication_key)?;
        let x = PublicKey::from_multikey(&self.key_agreement_key)?;
        match self.method {
            DidMethod::Key => Ok(did_key::encode(ed.as_ed25519()?)),
            DidMethod::Peer => peer2::for_party(ed, x, self.mediator.as_ref()),
            // Checked against the identity's log instead (see `ledger::check_record`).
            DidMethod::Webvh => Ok(self.did.clone()),
        }
    }
}

/// An identity whose secret keys are unlocked in memory.
#[derive(Debug)]
pub struct UnlockedIdentity {
    /// What is stored in clear.
    pub record: IdentityRecord,
    /// The secret keys, decrypted.
    pub keys: PartyKeys,
    /// did:webvh only: the keys that may extend the DID's log.
    pub ledger: Option<LedgerKeys>,
}

mod credentials;
pub use ledger::{LedgerKeys, LedgerUpdate};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoreFile {
    format: String,
    identity: IdentityRecord,
    sealed: Sealed,
    /// did:webvh only: the DID's log as this party last wrote it (public, kept with the keys so
    /// that both change in one atomic write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log: Option<String>,
}

/// A keystore directory.
#[derive(Clone, Debug)]
pub struct Keystore {
    home: PathBuf,
}

impl Keystore {
    /// `$MPC_ID_HOME`, or `mpc-id` under the user's data directory.
    pub fn default_home() -> Option<PathBuf> {
        std::env::var_os("MPC_ID_HOME").map(PathBuf::from).or_else(|| dirs::data_dir().map(|d| d.join("mpc-id")))
    }

    /// Opens (creating if needed) the keystore at `home`, tightening loose permissions.
    pub fn open(home: impl Into<PathBuf>) -> Result<Self> {
        let home = home.into();
        for dir in [home.clone(), home.join("identities")] {
            // Created owner-only from the start; an existing one with looser bits is tightened.
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| Error::io("creating", &dir, e))?;
            ensure_mode(&dir, 0o700)?;
        }
        Ok(Keystore { home })
    }

    /// The keystore's directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Creates a new identity with fresh keys and stores it sealed under `passphrase`.
    pub fn create(
        &self,
        name: &str,
        method: DidMethod,
        mediator: Option<MediatorEndpoint>,
        passphrase: &str,
    ) -> Result<UnlockedIdentity> {
        let path = self.path_for_new(name, passphrase)?;
        let keys = match method {
            DidMethod::Key => PartyKeys::generate_ed25519_derived()?,
            DidMethod::Peer => PartyKeys::generate()?,
            DidMethod::Webvh => {
                return Err(Error::invalid_did(name, "a did:webvh identity is created with `create_webvh`"));
            }
        };
        let ed = PublicKey::Ed25519(keys.verifying_key());
        let x = PublicKey::X25519(keys.agreement_public());
        let did = match method {
            DidMethod::Key => did_key::encode(&keys.verifying_key()),
            _ => peer2::for_party(ed, x, mediator.as_ref())?,
        };
        let record = IdentityRecord {
            name: name.to_owned(),
            did,
            method,
            authentication_key: ed.to_multikey(),
            key_agreement_key: x.to_multikey(),
            mediator,
            created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        };
        let sealed = Sealed::seal(keys.secret_bytes().as_slice(), passphrase, &aad(&record.did))
            .map_err(|reason| Error::CorruptKeystore { path: path.clone(), reason })?;
        let file = KeystoreFile { format: FORMAT.to_owned(), identity: record.clone(), sealed, log: None };
        let json = serde_json::to_vec_pretty(&file)
            .map_err(|e| Error::CorruptKeystore { path: path.clone(), reason: e.to_string() })?;
        self.write_new(name, &path, &json)?;
        tracing::info!(name, did = %record.did, "created identity");
        Ok(UnlockedIdentity { record, keys, ledger: None })
    }

    /// The public record of one identity.
    pub fn load(&self, name: &str) -> Result<IdentityRecord> {
        Ok(self.read(name)?.identity)
    }

    /// Decrypts an identity's keys and checks them against its public record.
    pub fn unlock(&self, name: &str, passphrase: &str) -> Result<UnlockedIdentity> {
        let file = self.read(name)?;
        let path = self.path_of(name);
        let secret = file.sealed.open(passphrase, &aad(&file.identity.did)).map_err(|e| match e {
            OpenError::Rejected => Error::WrongPassphrase { name: name.to_owned() },
            OpenError::Malformed(reason) => Error::CorruptKeystore { path: path.clone(), reason },
        })?;
        let wrong_length =
            || Error::CorruptKeystore { path: path.clone(), reason: "sealed keys have the wrong length".to_owned() };
        let (keys, ledger) = match (file.identity.method, secret.len()) {
            (DidMethod::Webvh, 128) => (
                PartyKeys::from_secret_slice(&secret[..64]).ok_or_else(wrong_length)?,
                Some(LedgerKeys::from_secret_slice(&secret[64..]).ok_or_else(wrong_length)?),
            ),
            (DidMethod::Key | DidMethod::Peer, 64) => {
                (PartyKeys::from_secret_slice(&secret).ok_or_else(wrong_length)?, None)
            }
            _ => return Err(wrong_length()),
        };
        if PublicKey::Ed25519(keys.verifying_key()).to_multikey() != file.identity.authentication_key
            || PublicKey::X25519(keys.agreement_public()).to_multikey() != file.identity.key_agreement_key
        {
            return Err(Error::CorruptKeystore {
                path,
                reason: "the public keys in the record do not belong to the sealed secret keys".to_owned(),
            });
        }
        Ok(UnlockedIdentity { record: file.identity, keys, ledger })
    }

    /// Every identity's public record, sorted by name. A file that cannot be read is reported in
    /// place and does not hide the others.
    pub fn list(&self) -> Result<Vec<Result<IdentityRecord>>> {
        let dir = self.home.join("identities");
        let entries = fs::read_dir(&dir).map_err(|e| Error::io("reading", &dir, e))?;
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().to_str()?.strip_suffix(".json").map(str::to_owned))
            .filter(|name| validate_name(name).is_ok())
            .collect();
        names.sort();
        Ok(names.iter().map(|name| self.load(name)).collect())
    }

    /// Where a new identity `name` goes, after checking the name and passphrase and that it is free.
    fn path_for_new(&self, name: &str, passphrase: &str) -> Result<PathBuf> {
        validate_name(name)?;
        if passphrase.is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let path = self.path_of(name);
        if path.exists() {
            return Err(Error::IdentityExists { name: name.to_owned(), home: self.home.clone() });
        }
        Ok(path)
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.home.join("identities").join(format!("{name}.json"))
    }

    fn read(&self, name: &str) -> Result<KeystoreFile> {
        validate_name(name)?;
        let path = self.path_of(name);
        if !path.exists() {
            return Err(Error::UnknownIdentity { name: name.to_owned(), home: self.home.clone() });
        }
        ensure_mode(&path, 0o600)?;
        let bytes = fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
        let file: KeystoreFile = serde_json::from_slice(&bytes)
            .map_err(|e| Error::CorruptKeystore { path: path.clone(), reason: e.to_string() })?;
        if file.format != FORMAT {
            return Err(Error::CorruptKeystore { path, reason: format!("unknown format `{}`", file.format) });
        }
        if file.identity.name != name {
            return Err(Error::CorruptKeystore {
                path,
                reason: format!("file holds identity `{}`, not `{name}`", file.identity.name),
            });
        }
        if file.identity.method == DidMethod::Webvh {
            ledger::check_record(&file.identity, file.log.as_deref())
                .map_err(|reason| Error::CorruptKeystore { path: path.clone(), reason })?;
            return Ok(file);
        }
        match file.identity.expected_did() {
            Ok(did) if did == file.identity.did => Ok(file),
            Ok(_) => {
                Err(Error::CorruptKeystore { path, reason: "the DID does not match the keys in the record".to_owned() })
            }
            Err(e) => Err(Error::CorruptKeystore { path, reason: e.to_string() }),
        }
    }

    /// Writes `bytes` as a new file at `path`: temp file, fsync, hard link (fails if `path`
    /// exists, so the first of two racing writers wins), remove temp, fsync the directory.
    fn write_new(&self, name: &str, path: &Path, bytes: &[u8]) -> Result<()> {
        let dir = path.parent().unwrap_or(&self.home);
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| Error::Rng(e.to_string()))?;
        let tmp = dir.join(format!(".{name}.{}.tmp", u64::from_le_bytes(suffix)));
        let result = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| Error::io("creating", &tmp, e))?;
            file.write_all(bytes).map_err(|e| Error::io("writing", &tmp, e))?;
            file.sync_all().map_err(|e| Error::io("flushing", &tmp, e))?;
            fs::hard_link(&tmp, path).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    Error::IdentityExists { name: name.to_owned(), home: self.home.clone() }
                }
                _ => Error::io("linking", path, e),
            })
        })();
        let _ = fs::remove_file(&tmp);
        result?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io("flushing", dir, e))
    }
}

/// Atomically replaces `path` with `bytes` (mode 0600); see [`crate::files`].
pub fn replace_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::files::replace_private_file(path, bytes).map_err(|e| Error::io("replacing", path, e))
}

fn aad(did: &str) -> Vec<u8> {
    format!("{FORMAT}\n{did}").into_bytes()
}

/// Identity names become file names: keep them boring.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(Error::InvalidName { name: name.to_owned() }) }
}

/// Secrets must not be readable by others: loose permissions are fixed, with a warning.
fn ensure_mode(path: &Path, mode: u32) -> Result<()> {
    let meta = fs::symlink_metadata(path).map_err(|e| Error::io("inspecting", path, e))?;
    if meta.file_type().is_symlink() {
        return Err(Error::CorruptKeystore {
            path: path.to_owned(),
            reason: "is a symbolic link; refusing to follow it".into(),
        });
    }
    let current = meta.permissions().mode() & 0o777;
    if current & !mode != 0 {
        tracing::warn!(path = %path.display(), found = format!("{current:o}"), fixed = format!("{mode:o}"),
            "keystore permissions were too open; tightened them");
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io("fixing permissions of", path, e))?;
    }
    Ok(())
}
