//! Sessions as this party knows them, one JSON file each under `<home>/sessions/`, written
//! atomically and readable only by the owner (they hold who is in which computation).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::messages::SessionOffer;

/// This party's part in a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// This party created the session.
    Host,
    /// This party joined it.
    Guest,
}

/// Where a session stands, from this party's side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
// Variant fields are named for what they hold; the variant docs say what they mean.
#[allow(missing_docs)]
pub enum SessionState {
    /// Host: gathering parties. Guest: join request sent, no answer yet.
    Open,
    /// Guest: the host admitted us.
    Admitted { index: Option<usize> },
    /// Guest: the host refused us.
    Refused { reason: String },
    /// The manifest is signed (host) or verified (guest): ready to run.
    Ready,
    /// We left, or the host cancelled.
    Closed { reason: String },
}

/// A party that asked to join (host side).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The member's DID.
    pub did: String,
    /// Where its request stands.
    pub status: MemberStatus,
    /// Its MPyC certificates, one per possible index (with MPyC TLS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<String>,
    /// The name it gave itself in its signed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The role it asked for, in a session with roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_role: Option<String>,
    /// When it asked to join (Unix seconds).
    pub asked_time: u64,
    /// The presentation it made for the session's credential requirements, verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<serde_json::Value>,
    /// The domains it was found to control, for the session's domain requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
/// Where a member's request stands.
// Variant fields are named for what they hold; the variant docs say what they mean.
#[allow(missing_docs)]
pub enum MemberStatus {
    /// Waiting for the host's `admit` (with `--confirm`).
    Pending,
    /// Admitted.
    Admitted,
    /// Refused, with the reason.
    Refused { reason: String },
    /// Left after being admitted.
    Left,
}

/// One session, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session id.
    pub id: String,
    /// The local identity that takes part.
    pub identity: String,
    /// This party's DID.
    pub me: String,
    /// The host's DID.
    pub host: String,
    /// Whether this party hosts or joined.
    pub role: Role,
    /// What the host offered.
    pub offer: SessionOffer,
    /// When the session expires (Unix seconds).
    pub expires_time: u64,
    /// The signed invitation (JSON) and its short link, if published.
    pub invitation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The invitation's URL, for the host to share again.
    pub invitation_url: Option<String>,
    /// The program this party will run, if it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<PathBuf>,
    /// This party's role, in a session with roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_role: Option<String>,
    /// The Python this party runs it with, if it named one (`--python` at create, join or run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// Where the session stands.
    pub state: SessionState,
    /// Host: everyone who asked, the host first. Guest: empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// Host: the party order fixed at creation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<String>>,
    /// Host: admit by hand.
    #[serde(default)]
    pub confirm: bool,
    /// The signed manifest (JSON), once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Why the last manifest received was not accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl SessionRecord {
    /// The members the host admitted, in admission order.
    pub fn admitted(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.status == MemberStatus::Admitted)
    }

    /// The member `did`, to change its status.
    pub(crate) fn member_mut(&mut self, did: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.did == did)
    }
}

/// The directory of session files.
#[derive(Clone, Debug)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    /// The sessions of the keystore at `home`.
    pub fn open(home: &Path) -> Self {
        SessionStore { dir: home.join("sessions") }
    }

    /// The directory of session files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes `record` atomically, readable by this user only.
    pub fn save(&self, record: &SessionRecord) -> Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| Error::io("creating", &self.dir, e))?;
        let json = serde_json::to_vec_pretty(record).map_err(|e| Error::Command(e.to_string()))?;
        Ok(mpc_identity::keystore::replace_private_file(&self.path_of(&record.id), &json)?)
    }

    /// Every session stored here; unreadable files are skipped with a warning.
    pub fn list(&self) -> Result<Vec<SessionRecord>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("listing", &self.dir, e)),
        };
        let mut records = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match std::fs::read(&path).map(|bytes| serde_json::from_slice::<SessionRecord>(&bytes)) {
                Ok(Ok(record)) => records.push(record),
                Ok(Err(e)) => tracing::warn!(path = %path.display(), error = %e, "skipping an unreadable session file"),
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "skipping an unreadable session file"),
            }
        }
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    /// The session named by `query`: its id, a unique prefix of it, or its unique name.
    pub fn find(&self, query: &str) -> Result<SessionRecord> {
        let all = self.list()?;
        if let Some(exact) = all.iter().find(|r| r.id == query) {
            return Ok(exact.clone());
        }
        let matches: Vec<&SessionRecord> =
            all.iter().filter(|r| (query.len() >= 4 && r.id.starts_with(query)) || r.offer.name == query).collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::UnknownSession(query.to_owned())),
            _ => Err(Error::AmbiguousSession(query.to_owned())),
        }
    }
}
