//! The mediator's own identity: keys generated on first start and kept in the data directory,
//! its did:peer:2 (self-certifying, what clients encrypt to), and the did:web document of its
//! public URL that names the did:peer:2 as an alias.
//!
//! The key file is the mediator's one secret. Like a TLS key it is stored unencrypted (the service
//! must start unattended) with mode 0600, written to a temporary file and renamed into place.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mpc_identity::did::{self, DidDocument, MediatorEndpoint, peer2};
use mpc_identity::envelope::encrypted;
use mpc_identity::keys::{PartyKeys, PublicKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const KEY_FILE: &str = "mediator-keys.json";

/// The mediator's keys and DIDs.
#[derive(Debug)]
pub(crate) struct MediatorIdentity {
    pub keys: PartyKeys,
    /// did:peer:2 with the mediator's keys and its DIDComm endpoint.
    pub did: String,
    /// The key id clients encrypt to (`did#key-1`, X25519).
    pub agreement_kid: String,
    /// The same key as a did:key URL, which parties use as their routing key.
    pub routing_kid: String,
    /// did:web of the public URL.
    pub web_did: String,
    pub endpoint: String,
    document: DidDocument,
    /// Every key id a message to this mediator may name: its X25519 key under the did:peer:2,
    /// as the routing did:key, and under the did:web it serves (DIDComm lets a sender pick any
    /// key-agreement key of any of the recipient's DIDs).
    own_kids: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: String,
    secret: String,
}

impl MediatorIdentity {
    /// Loads the keys from `data_dir`, generating and storing them on first start.
    pub(crate) fn load_or_create(data_dir: &Path, public_url: &url::Url) -> Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let keys = if path.exists() { read_keys(&path)? } else { create_keys(&path)? };
        let endpoint = public_url.join("didcomm").map_err(|e| Error::Startup(e.to_string()))?.to_string();
        // Its DIDComm endpoints: HTTP first (what parties' services name and clients post to),
        // then the WebSocket (for live delivery), so clients that read a DID document for a
        // socket find one.
        let mut socket = public_url.join("ws").map_err(|e| Error::Startup(e.to_string()))?;
        let scheme = if socket.scheme() == "https" { "wss" } else { "ws" };
        socket.set_scheme(scheme).map_err(|()| Error::Startup(format!("no WebSocket URL for {public_url}")))?;
        let services = [
            MediatorEndpoint { uri: endpoint.clone(), routing_keys: Vec::new() },
            MediatorEndpoint { uri: socket.to_string(), routing_keys: Vec::new() },
        ];
        let did = peer2::for_endpoints(
            PublicKey::Ed25519(keys.verifying_key()),
            PublicKey::X25519(keys.agreement_public()),
            &services,
        )
        .map_err(Error::OwnKeys)?;
        let agreement_kid = format!("{did}#key-1");
        let document = did::resolve(&did).map_err(Error::OwnKeys)?;
        let routing_kid = did::key::x25519_key_url(&keys.agreement_public());
        let mut identity = MediatorIdentity {
            keys,
            agreement_kid,
            routing_kid,
            web_did: web_did(public_url),
            did,
            endpoint,
            document,
            own_kids: Vec::new(),
        };
        let mut own_kids = vec![identity.agreement_kid.clone(), identity.routing_kid.clone()];
        for document in [identity.document.clone(), identity.web_document()] {
            let keys = encrypted::recipient_keys(&document).map_err(Error::OwnKeys)?;
            own_kids.extend(keys.into_iter().map(|key| key.kid));
        }
        own_kids.sort();
        own_kids.dedup();
        identity.own_kids = own_kids;
        Ok(identity)
    }

    /// Every key id a message to this mediator may be addressed to (see the field).
    pub(crate) fn own_kids(&self) -> &[String] {
        &self.own_kids
    }

    /// The public base URL (`https://host:port/` or, behind a proxy that maps a path to this
    /// mediator, `https://host/path/`), as links to this mediator start: ends with `/`.
    pub(crate) fn public_base(&self) -> String {
        url::Url::parse(&self.endpoint)
            .and_then(|endpoint| endpoint.join("."))
            .map(String::from)
            .unwrap_or_else(|_| "/".to_owned())
    }

    /// Where invitation links point: `<public base>oob`.
    pub(crate) fn oob_base(&self) -> String {
        format!("{}oob", self.public_base())
    }

    /// The did:peer:2 document.
    pub(crate) fn document(&self) -> &DidDocument {
        &self.document
    }

    /// The did:web document served at `/.well-known/did.json`: the same keys and service under
    /// the did:web identifier, with the did:peer:2 as `alsoKnownAs`.
    pub(crate) fn web_document(&self) -> DidDocument {
        let mut document = self.document.clone();
        document.id = self.web_did.clone();
        document.also_known_as = vec![self.did.clone()];
        for method in &mut document.verification_method {
            method.controller = self.web_did.clone();
        }
        document
    }
}

/// `did:web:host%3Aport:path` of a URL, as the did:web spec derives it.
pub(crate) fn web_did(url: &url::Url) -> String {
    let mut did = format!("did:web:{}", url.host_str().unwrap_or("localhost"));
    if let Some(port) = url.port() {
        did.push_str(&format!("%3A{port}"));
    }
    for segment in url.path_segments().into_iter().flatten().filter(|s| !s.is_empty()) {
        did.push(':');
        did.push_str(segment);
    }
    did
}

fn read_keys(path: &Path) -> Result<PartyKeys> {
    let fail = |reason: String| Error::Startup(format!("mediator key file {}: {reason}", path.display()));
    let mode = fs::metadata(path).map_err(|e| fail(e.to_string()))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "mediator key file was readable by others; set to 0600");
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|e| fail(e.to_string()))?;
    }
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| fail(e.to_string()))?);
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    if file.format != "mpc-mediator-keys/1" {
        return Err(fail(format!("unknown format `{}`", file.format)));
    }
    let secret = Zeroizing::new(STANDARD.decode(&file.secret).map_err(|e| fail(e.to_string()))?);
    PartyKeys::from_secret_slice(&secret).ok_or_else(|| fail("bad key length".into()))
}

fn create_keys(path: &Path) -> Result<PartyKeys> {
    let fail = |e: std::io::Error| Error::Startup(format!("writing mediator key file {}: {e}", path.display()));
    let keys = PartyKeys::generate().map_err(Error::OwnKeys)?;
    let file = KeyFile { format: "mpc-mediator-keys/1".to_owned(), secret: STANDARD.encode(*keys.secret_bytes()) };
    let text = Zeroizing::new(serde_json::to_string(&file).map_err(|e| Error::Startup(e.to_string()))?);
    mpc_identity::files::replace_private_file(path, text.as_bytes()).map_err(fail)?;
    tracing::info!(path = %path.display(), "generated the mediator's keys");
    Ok(keys)
}
