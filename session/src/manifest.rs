//! The session manifest: what every party agreed to run, and with whom, signed by the host.
//!
//! The host writes it once the session is full; every party verifies it before anything runs:
//! the host's signature (against the host's resolved DID), the session it belongs to, its expiry,
//! the party list's shape, the party's own entry, and the hash of the program it holds. Peers'
//! entries are checked again against their own DIDs when the run resolves them to dial.

use std::path::Path;
use std::sync::LazyLock;

use mpc_client::resolver::Resolver;
use mpc_identity::envelope::{self, PLAIN_TYP, SignedMessage};
use mpc_identity::keys::PartyKeys;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};

/// The host sends the signed manifest.
pub(crate) const MANIFEST_TYPE: &str = "https://mpc-id.dev/session/1.0/manifest";

/// Sessions have at most this many parties (MPyC runs m(m-1)/2 connections).
pub(crate) const MAX_PARTIES: usize = 64;

/// The agreement, as the host signs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The session id.
    pub session: String,
    /// Its name.
    pub name: String,
    /// When it expires (Unix seconds).
    pub expires_time: u64,
    /// The program every party runs.
    pub program: Program,
    /// The arguments the program gets after MPyC's own.
    pub args: Vec<String>,
    /// How MPyC is run.
    pub mpyc: MpycSettings,
    /// In party order: `parties[i].index == i`.
    pub parties: Vec<PartyEntry>,
    /// Roles, when parties run different programs or arguments: a party with a `role` runs
    /// that role's program and arguments instead of `program` and `args` (which are then the
    /// first role's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleSpec>,
}

/// A role as the manifest fixes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// Its name.
    pub name: String,
    /// Its program.
    pub program: Program,
    /// Its arguments, after MPyC's own.
    pub args: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// The program: its digest, and for a bundle every file it holds.
pub struct Program {
    /// SHA-256 of the program file, or a bundle's digest (`bundle`), lowercase hex.
    pub sha256: String,
    /// A bundle's files, each with its SHA-256: what a party whose copy differs is told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<crate::bundle::BundleFile>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// MPyC's settings of a session.
pub struct MpycSettings {
    /// The MPyC version every party must run (`mpyc.__version__`).
    pub version: String,
    /// Whether MPyC's own TLS (`--ssl`) is on, with the certificates in the party entries.
    pub ssl: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
/// A party of the session.
pub struct PartyEntry {
    /// Its MPyC party index.
    pub index: usize,
    /// Its DID.
    pub did: String,
    /// The party's Ed25519 key in hex: the endpoint id its connections authenticate with.
    pub endpoint_id: String,
    /// The relay it is reachable through (its mediator's).
    pub relay: Option<String>,
    /// The name the party gave itself when it asked to join (its claim, signed by it; shown
    /// beside its DID, which is what identifies it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Its role, in a session with roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// PEM of its `MPyC party <index>` certificate, when `mpyc.ssl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
    /// The presentation it made for the session's credential requirements (every party checks
    /// it again: bound to this session and host, each credential about this party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Value>,
    /// The domains (origins) the host found it controls, for the session's domain requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
}

impl Manifest {
    /// The entry of `did`, if it is a party.
    pub fn entry_of(&self, did: &str) -> Option<&PartyEntry> {
        self.parties.iter().find(|p| p.did == did)
    }

    /// The program and arguments the party `did` runs: its role's, or the session's.
    pub fn program_of(&self, did: &str) -> (&Program, &[String]) {
        let role = self.entry_of(did).and_then(|entry| entry.role.as_deref());
        match role.and_then(|name| self.roles.iter().find(|r| r.name == name)) {
            Some(role) => (&role.program, &role.args),
            None => (&self.program, &self.args),
        }
    }

    /// Signs the manifest as `host` (a DIDComm signed message, like an invitation).
    pub fn sign(&self, host: &str, keys: &PartyKeys, kid: &str) -> Result<SignedManifest> {
        let plaintext = json!({
            "typ": PLAIN_TYP,
            "type": MANIFEST_TYPE,
            "id": uuid::Uuid::new_v4().to_string(),
            "from": host,
            "created_time": mpc_identity::unix_now(),
            "body": self,
        });
        Ok(SignedManifest(envelope::sign(&plaintext, keys, kid)?))
    }

    /// Reads the manifest of `session` from a signed message's plaintext (whose signature the
    /// caller checked): the schema, the session, and the shape every manifest must have.
    pub fn from_plaintext(session: &str, plaintext: &Value) -> Result<Manifest> {
        let bad = |reason: String| Error::bad_manifest(session, reason);
        let details: Vec<String> = SCHEMA.iter_errors(plaintext).take(3).map(|e| e.to_string()).collect();
        if !details.is_empty() {
            return Err(bad(format!("it does not match the manifest schema: {}", details.join("; "))));
        }
        let manifest: Manifest = serde_json::from_value(plaintext["body"].clone()).map_err(|e| bad(e.to_string()))?;
        if manifest.session != session {
            return Err(bad(format!("it is the manifest of session {}", manifest.session)));
        }
        manifest.check_shape()?;
        Ok(manifest)
    }

    /// The shape every manifest must have, whoever signed it.
    fn check_shape(&self) -> Result<()> {
        let bad = |reason: String| Error::bad_manifest(&self.session, reason);
        if self.parties.len() < 2 || self.parties.len() > MAX_PARTIES {
            return Err(bad(format!("it lists {} parties; a session has 2 to {MAX_PARTIES}", self.parties.len())));
        }
        for (position, party) in self.parties.iter().enumerate() {
            if party.index != position {
                return Err(bad(format!("entry {position} says it is party {}", party.index)));
            }
            if self.parties[..position].iter().any(|p| p.did == party.did || p.endpoint_id == party.endpoint_id) {
                return Err(bad(format!("{} is listed twice", party.did)));
            }
            if let Some(label) = &party.label {
                check_label(label).map_err(|e| bad(format!("party {}'s label: {e}", party.index)))?;
            }
            match (&party.role, self.roles.is_empty()) {
                (Some(role), false) if self.roles.iter().any(|r| &r.name == role) => {}
                (None, true) => {}
                (Some(role), _) => {
                    return Err(bad(format!("party {} has role `{role}`, which it does not define", party.index)));
                }
                (None, false) => return Err(bad(format!("party {} has no role in a session with roles", party.index))),
            }
            if self.mpyc.ssl {
                let pem = party
                    .certificate
                    .as_deref()
                    .ok_or_else(|| bad(format!("MPyC TLS is on but party {} has no certificate", party.index)))?;
                crate::mpyc::check_certificate(pem, party.index).map_err(bad)?;
            }
        }
        Ok(())
    }
}

/// A role's name: 1 to 32 of `a-z`, `0-9`, `_` and `-`.
pub fn check_role_name(name: &str) -> std::result::Result<(), String> {
    let fine = !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if fine { Ok(()) } else { Err(format!("role `{name}`: use 1 to 32 of a-z, 0-9, _ and -")) }
}

/// The longest label a party may give itself, in characters.
pub(crate) const MAX_LABEL: usize = 64;

/// A label is shown to people on one line: 1 to [`MAX_LABEL`] characters, no control characters,
/// no leading or trailing space.
pub fn check_label(label: &str) -> std::result::Result<(), String> {
    if label.is_empty() || label.trim() != label {
        return Err(format!("{label:?} is empty or starts or ends with space"));
    }
    if label.chars().count() > MAX_LABEL {
        return Err(format!("{label:?} is longer than {MAX_LABEL} characters"));
    }
    if label.chars().any(char::is_control) {
        return Err(format!("{label:?} holds control characters"));
    }
    Ok(())
}

/// A party as people read it: the label it gave itself, if any, its abbreviated DID
/// (`carol, did:peer:2.Ez6LS...`) and, for a did:webvh, the host it is resolved from
/// (`alice, did:webvh:Qm...:mpc.example.org:alice - mpc.example.org (did:webvh, resolved over HTTPS)`).
pub fn who(label: Option<&str>, did: &str) -> String {
    let short = mpc_identity::did::abbreviate(did);
    // Labels are checked for control characters, not for bidirectional ones: shown escaped.
    let named = match label {
        Some(label) => format!("{}, {short}", mpc_identity::text::shown(label)),
        None => short,
    };
    // A did:webvh names the web host it is resolved from: say it, since the label is only a claim.
    match mpc_identity::did::webvh::provenance(did) {
        Some(place) => format!("{named} - {}", mpc_identity::text::shown(&place)),
        None => named,
    }
}

/// A signed manifest as it travels and is stored. Not trusted until verified.
#[derive(Clone, Debug)]
pub struct SignedManifest(pub(crate) SignedMessage);

impl SignedManifest {
    /// Parses a signed manifest (its signature is checked by `verify`).
    pub fn parse(text: &str) -> Result<Self> {
        Ok(SignedManifest(envelope::parse(text.as_bytes())?))
    }

    /// The signed manifest as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// Verifies the manifest of `session`, which `host` must have signed, as the party `me`, at
    /// unix time `now`: the signature, the schema, the session, the expiry, the party list, and
    /// that `me` is listed with `my_endpoint_id`.
    pub async fn verify(
        &self,
        resolver: &Resolver,
        session: &str,
        host: &str,
        me: &str,
        my_endpoint_id: &str,
        now: u64,
    ) -> Result<Manifest> {
        let bad = |reason: String| Error::bad_manifest(session, reason);
        let claimed = self.0.claimed_from()?;
        if claimed != host {
            return Err(bad(format!("it is signed by {claimed}, not by the host {host}")));
        }
        let (verified, _) = resolver.verify_signed(&self.0).await?;
        let manifest = Manifest::from_plaintext(session, &verified.message)?;
        if now >= manifest.expires_time {
            return Err(Error::Expired { session: session.to_owned(), expired_at: manifest.expires_time, now });
        }
        match manifest.entry_of(me) {
            None => return Err(bad(format!("it does not list you ({me})"))),
            Some(entry) if entry.endpoint_id != my_endpoint_id => {
                return Err(bad(format!("it lists you with endpoint {}, not your key", entry.endpoint_id)));
            }
            Some(_) => {}
        }
        Ok(manifest)
    }
}

/// The digest of a program: SHA-256 of a file, or of a bundle directory's files (see
/// [`crate::bundle`]), lowercase hex.
pub fn program_sha256(path: &Path) -> Result<String> {
    crate::bundle::program_digest(path).map(|(digest, _)| digest)
}

/// Checks that the program at `path` (a file or a bundle, every file of it) is the one the
/// manifest names; a bundle that differs is refused naming the files that do.
pub fn check_program(manifest: &Manifest, path: &Path) -> Result<()> {
    check_program_is(&manifest.program, path)
}

/// Checks that the program at `path` is `program` (see [`check_program`]).
pub(crate) fn check_program_is(program: &Program, path: &Path) -> Result<()> {
    let (found, files) = crate::bundle::program_digest(path)?;
    if found == program.sha256 {
        return Ok(());
    }
    let which = match (&program.files, &files) {
        (Some(agreed), Some(found)) => crate::bundle::differences(agreed, found).join(", "),
        _ => String::new(),
    };
    if !which.is_empty() {
        return Err(Error::BundleMismatch { path: path.to_owned(), differences: which });
    }
    Err(Error::ProgramMismatch { path: path.to_owned(), found, expected: program.sha256.clone() })
}

/// The manifest schema, from `schemas/`.
pub(crate) fn schema_source() -> &'static str {
    include_str!("../../schemas/session-manifest.schema.json")
}

static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    // Part of the source tree; a broken schema is a build defect the tests catch.
    #[allow(clippy::expect_used)]
    let document: Value = serde_json::from_str(schema_source()).expect("embedded schema is JSON");
    #[allow(clippy::expect_used)]
    jsonschema::draft202012::new(&document).expect("embedded schema compiles")
});

/// Validates a manifest plaintext against the schema (for tests of what the code emits).
pub fn validate_plaintext(value: &Value) -> std::result::Result<(), String> {
    let details: Vec<String> = SCHEMA.iter_errors(value).take(3).map(|e| e.to_string()).collect();
    if details.is_empty() { Ok(()) } else { Err(details.join("; ")) }
}
