//! The peer book: the DIDs this party has met, with what it verified about each.
//!
//! For a did:webvh peer it remembers the last log entry it verified (version number and
//! `versionId`, which carries the entry hash). A host that later serves a shorter log (rollback)
//! or a different entry at a remembered version (fork) is caught here: the log verifies on its
//! own, so only memory can tell. Pins only move forward.
//!
//! One JSON file, `peers.json` (0600) in the identity home, rewritten whole through a temporary
//! file and a rename under an exclusive lock, so concurrent `mpc-id` processes neither lose an
//! update nor leave a torn file.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::did::MediatorEndpoint;
use crate::did::webvh::VerifiedLog;
use crate::error::{Error, Result};

const FORMAT: &str = "mpc-id-peers/1";

/// What this party knows about one peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Peer {
    /// The peer's DID.
    pub did: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// What the user calls it.
    pub label: Option<String>,
    /// Ed25519 signing key, multikey, as last verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_key: Option<String>,
    /// X25519 key-agreement key, multikey, as last verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_agreement_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The mediator its DID names.
    pub mediator: Option<MediatorEndpoint>,
    /// did:webvh only: the number of log entries last verified...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_entries: Option<u32>,
    /// ...and the `versionId` (number and entry hash) of the last of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_version_id: Option<String>,
    #[serde(default)]
    /// Whether its did:webvh log was deactivated.
    pub deactivated: bool,
    /// Origins it was shown to control (`https://example.org`) when added: checked again, over
    /// HTTPS, wherever it is shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// RFC 3339, UTC.
    pub added: String,
    /// When it was last verified (RFC 3339).
    pub verified: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BookFile {
    format: String,
    peers: Vec<Peer>,
}

/// The peer book of one identity home.
#[derive(Clone, Debug)]
pub struct PeerBook {
    path: PathBuf,
}

impl PeerBook {
    /// The peer book in `home` (the keystore's directory); created on first write.
    pub fn open(home: &Path) -> Self {
        PeerBook { path: home.join("peers.json") }
    }

    /// The peer book's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every peer, in the order they were added.
    pub fn list(&self) -> Result<Vec<Peer>> {
        Ok(self.read()?.peers)
    }

    /// The peer `did`, if it is in the book.
    pub fn get(&self, did: &str) -> Result<Option<Peer>> {
        Ok(self.read()?.peers.into_iter().find(|p| p.did == did))
    }

    /// Refuses a log that is shorter than, or differs from, the one last verified for its DID.
    pub fn check(&self, log: &VerifiedLog) -> Result<()> {
        match self.get(&log.did)? {
            Some(peer) => check_pin(&peer, log),
            None => Ok(()),
        }
    }

    /// Records (or refreshes) a peer. For did:webvh the pin moves to `log`'s last entry, after
    /// checking it against the current pin under the lock, so two processes cannot race a
    /// rollback past each other.
    pub fn record(&self, mut peer: Peer, log: Option<&VerifiedLog>) -> Result<Peer> {
        let _lock = self.lock()?;
        let mut book = self.read()?;
        let now = crate::now_rfc3339();
        peer.verified = now.clone();
        if let Some(log) = log {
            if let Some(existing) = book.peers.iter().find(|p| p.did == peer.did) {
                check_pin(existing, log)?;
            }
            peer.log_entries = Some(log.version_ids.len() as u32);
            peer.log_version_id = Some(log.latest_version_id().to_owned());
            peer.deactivated = log.deactivated;
        }
        match book.peers.iter_mut().find(|p| p.did == peer.did) {
            Some(existing) => {
                peer.added = existing.added.clone();
                if peer.label.is_none() {
                    peer.label = existing.label.clone();
                }
                let mut domains = existing.domains.clone();
                domains.extend(peer.domains.iter().filter(|o| !existing.domains.contains(o)).cloned());
                peer.domains = domains;
                *existing = peer.clone();
            }
            None => {
                peer.added = now;
                book.peers.push(peer.clone());
            }
        }
        self.write(&book)?;
        Ok(peer)
    }

    fn read(&self) -> Result<BookFile> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(BookFile { format: FORMAT.to_owned(), peers: Vec::new() });
            }
            Err(e) => return Err(Error::io("reading", &self.path, e)),
        };
        let book: BookFile = serde_json::from_slice(&bytes)
            .map_err(|e| Error::CorruptPeerBook { path: self.path.clone(), reason: e.to_string() })?;
        if book.format != FORMAT {
            return Err(Error::CorruptPeerBook {
                path: self.path.clone(),
                reason: format!("unknown format `{}`", book.format),
            });
        }
        Ok(book)
    }

    fn write(&self, book: &BookFile) -> Result<()> {
        let json = serde_json::to_vec_pretty(book)
            .map_err(|e| Error::CorruptPeerBook { path: self.path.clone(), reason: e.to_string() })?;
        crate::files::replace_private_file(&self.path, &json).map_err(|e| Error::io("replacing", &self.path, e))
    }

    /// An exclusive lock held for one read-modify-write.
    fn lock(&self) -> Result<File> {
        let path = self.path.with_extension("lock");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io("opening", &path, e))?;
        file.lock().map_err(|e| Error::io("locking", &path, e))?;
        Ok(file)
    }
}

fn check_pin(peer: &Peer, log: &VerifiedLog) -> Result<()> {
    let (Some(pinned), Some(pinned_id)) = (peer.log_entries, peer.log_version_id.as_ref()) else {
        return Ok(());
    };
    let served = log.version_ids.len() as u32;
    if pinned == 0 {
        return Ok(());
    }
    if served < pinned {
        return Err(Error::LedgerRollback { did: log.did.clone(), pinned, served });
    }
    let at_pin = &log.version_ids[pinned as usize - 1];
    if at_pin != pinned_id {
        return Err(Error::LedgerFork {
            did: log.did.clone(),
            version: pinned,
            pinned: pinned_id.clone(),
            served: at_pin.clone(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(did: &str, label: Option<&str>, domains: &[&str]) -> Peer {
        Peer {
            did: did.to_owned(),
            label: label.map(str::to_owned),
            authentication_key: None,
            key_agreement_key: None,
            mediator: None,
            log_entries: None,
            log_version_id: None,
            deactivated: false,
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            added: String::new(),
            verified: String::new(),
        }
    }

    /// A refresh (a peer resolved again, which knows no label or domains) keeps what the user
    /// added; a domain proven later joins those already there, once.
    #[test]
    fn a_refresh_keeps_the_label_and_the_domains_and_new_domains_join_them() {
        let home = tempfile::tempdir().expect("home");
        let book = PeerBook::open(home.path());
        book.record(peer("did:example:org", Some("org"), &["https://org.example"]), None).expect("add");
        book.record(peer("did:example:org", None, &[]), None).expect("refresh");
        let kept = book.get("did:example:org").expect("read").expect("kept");
        assert_eq!(kept.label.as_deref(), Some("org"));
        assert_eq!(kept.domains, ["https://org.example"]);
        book.record(peer("did:example:org", None, &["https://org.example", "https://b.example"]), None).expect("more");
        let merged = book.get("did:example:org").expect("read").expect("kept");
        assert_eq!(merged.domains, ["https://org.example", "https://b.example"]);
    }
}
