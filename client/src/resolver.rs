//! One resolver for every DID method a party may meet.
//!
//! - did:key and did:peer:2 are self-certifying: computed from the identifier, no network.
//! - did:webvh: the log is fetched from the host the DID names and verified here entry by entry
//!   ([`did::webvh`]); with a [`PeerBook`], the last verified entry is pinned so a later
//!   rollback or fork is refused.
//! - did:web: `did.json` fetched from the host the DID names (trusting that host and TLS, as the
//!   method does) under the one HTTP policy ([`crate::http`]): a deadline, no redirects, a size
//!   cap. did:jwk (self-certifying) goes through ssi's method resolver.
//!
//! It is also the ledger client: publishing a did:webvh log to the host that serves it.

use std::sync::{Arc, OnceLock};

use serde_json::Value;
use ssi_dids_core::{DID, DIDResolver};

use mpc_identity::did::{self, DidDocument, webvh};
use mpc_identity::envelope::{self, SignedMessage, Verified};
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::peerbook::{Peer, PeerBook};

use crate::error::{Error, Result};

/// What a resolution found, beyond the document.
#[derive(Clone, Debug)]
pub struct Resolution {
    /// The DID document, in the form this workspace uses.
    pub document: DidDocument,
    /// The document as the method returned it.
    pub document_json: Value,
    /// did:webvh only: the verified log.
    pub log: Option<webvh::VerifiedLog>,
}

/// What a resolution returns (DID Resolution's result): the document, unless the DID was
/// deactivated, and what is known about it.
#[derive(Clone, Debug)]
pub struct DidResolution {
    /// The document; `None` for a deactivated DID (did:webvh 1.0: a resolver MUST NOT return
    /// it), unless an earlier version was asked for.
    pub document: Option<DidDocument>,
    /// The document as the method returned it, under the same rule.
    pub document_json: Option<Value>,
    /// Resolution metadata: whether the controller deactivated the DID.
    pub deactivated: bool,
    /// did:webvh only: the verified log.
    pub log: Option<webvh::VerifiedLog>,
}

impl From<Resolution> for DidResolution {
    fn from(resolution: Resolution) -> Self {
        let deactivated = resolution.log.as_ref().is_some_and(|log| log.deactivated);
        let returned = resolution.log.as_ref().is_none_or(|log| log.resolved_document().is_some());
        DidResolution {
            document: returned.then_some(resolution.document),
            document_json: returned.then_some(resolution.document_json),
            deactivated,
            log: resolution.log,
        }
    }
}

/// Resolves DIDs; see the module documentation for what each method trusts.
#[derive(Clone, Debug)]
pub struct Resolver {
    /// Built on first use: loading the system's root certificates takes milliseconds that a
    /// resolver of did:peer alone (as in every run) need not spend.
    http: Arc<OnceLock<reqwest::Client>>,
    peers: Option<PeerBook>,
}

impl Resolver {
    /// A resolver that remembers did:webvh pins in `peers` (recommended), or not at all.
    pub fn new(peers: Option<PeerBook>) -> Self {
        Resolver { http: Arc::default(), peers }
    }

    fn http(&self) -> Result<&reqwest::Client> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        // A log or did:web host must answer at the DID's own address; redirects could move trust.
        let http = crate::http::client(crate::http::Redirects::Refuse)?;
        Ok(self.http.get_or_init(|| http))
    }

    /// The peer book that pins did:webvh logs, if this resolver has one.
    pub fn peer_book(&self) -> Option<&PeerBook> {
        self.peers.as_ref()
    }

    /// Resolves `did` (a DID, or for did:webvh a DID URL with `?versionId=` / `?versionNumber=`
    /// / `?versionTime=`), as DID Resolution does: a deactivated DID resolves, to no document.
    pub async fn resolve(&self, did: &str) -> Result<DidResolution> {
        self.resolve_verified(did).await.map(DidResolution::from)
    }

    /// Resolves `did` with its document whatever its state: for the checks of this module.
    async fn resolve_verified(&self, did: &str) -> Result<Resolution> {
        match did::method_of(did)? {
            "key" | "peer" => {
                let document = did::resolve(did)?;
                let document_json = serde_json::to_value(&document).unwrap_or(Value::Null);
                Ok(Resolution { document, document_json, log: None })
            }
            "webvh" => self.resolve_webvh(did).await,
            "web" => self.resolve_web(did).await,
            "jwk" => self.resolve_ssi(did, &did_jwk::DIDJWK).await,
            other => Err(Error::from(mpc_identity::Error::UnsupportedMethod { method: other.to_owned() })),
        }
    }

    /// Resolves a DID whose keys are about to be used: a deactivated DID is an error.
    pub async fn resolve_for_use(&self, did: &str) -> Result<Resolution> {
        let resolution = self.resolve_verified(did).await?;
        if resolution.log.as_ref().is_some_and(|log| log.deactivated) {
            return Err(Error::from(mpc_identity::Error::Deactivated { did: did.to_owned() }));
        }
        Ok(resolution)
    }

    /// Verifies a credential against its issuer's DID, resolved (and for did:webvh, fetched
    /// and verified) here first: its proof, shape and validity at `now`.
    pub async fn verify_credential(
        &self,
        credential: &Value,
        now: u64,
    ) -> Result<mpc_identity::credential::VerifiedCredential> {
        use mpc_identity::status_list;
        let issuer = mpc_identity::credential::issuer_of(credential)?;
        let resolution = self.resolve_for_use(&issuer).await?;
        let verified = mpc_identity::credential::verify(credential, &resolution.document, now)?;
        // Its status, where it names one: the issuer's list fetched over HTTPS and checked.
        for entry in status_list::entries(credential)? {
            let url = &entry.list;
            let response = self.http()?.get(url).send().await.map_err(|e| transport(url, crate::http::explain(&e)))?;
            if !response.status().is_success() {
                return Err(Error::from(mpc_identity::Error::Credential(format!(
                    "its status list {url} answered HTTP {}: its status cannot be checked",
                    response.status()
                ))));
            }
            let text = crate::http::text_capped(response, url, MAX_STATUS_LIST_BYTES).await?;
            let list = serde_json::from_str(&text).map_err(|e| {
                Error::from(mpc_identity::Error::Credential(format!("its status list {url} is not JSON: {e}")))
            })?;
            if status_list::is_set(&list, &resolution.document, &issuer, &entry, now)? {
                let done = if entry.purpose == "revocation" { "revoked" } else { "suspended" };
                return Err(Error::from(mpc_identity::Error::Credential(format!(
                    "its issuer has {done} it (status list {url}, index {})",
                    entry.index
                ))));
            }
        }
        Ok(verified)
    }

    /// Verifies a presentation made for `challenge` at `domain`: its holder's proof, then each
    /// credential against its issuer, each about the holder. Returns the holder and what its
    /// credentials say.
    pub async fn verify_presentation(
        &self,
        presentation: &Value,
        challenge: &str,
        domain: &str,
        now: u64,
    ) -> Result<(String, Vec<mpc_identity::credential::VerifiedCredential>)> {
        use mpc_identity::presentation;
        let holder = presentation::holder_of(presentation)?;
        let resolution = self.resolve_for_use(&holder).await?;
        let credentials = presentation::verify(presentation, &resolution.document, challenge, domain)?;
        let mut verified = Vec::new();
        for credential in &credentials {
            let checked = self.verify_credential(credential, now).await?;
            if checked.subject != holder {
                return Err(Error::from(mpc_identity::Error::Credential(format!(
                    "a credential in the presentation is about {}, not its holder",
                    checked.subject
                ))));
            }
            verified.push(checked);
        }
        Ok((holder, verified))
    }

    /// Whether `did` controls `domain` (DIF Well Known DID Configuration): the domain's
    /// `/.well-known/did-configuration.json`, fetched over HTTPS under the one HTTP policy, holds
    /// a current Domain Linkage Credential for that origin signed by the DID's key as resolved
    /// here. The error names what is missing or wrong.
    pub async fn check_domain(&self, did: &str, domain: &str, now: u64) -> Result<mpc_identity::domain::Linkage> {
        use mpc_identity::domain;
        let origin = domain::origin_of(domain)?;
        let resolution = self.resolve_for_use(did).await?;
        let url = format!("{origin}{}", domain::WELL_KNOWN_PATH);
        let response = self.http()?.get(&url).send().await.map_err(|e| transport(&url, crate::http::explain(&e)))?;
        if !response.status().is_success() {
            return Err(Error::from(mpc_identity::Error::DomainLinkage {
                did: did.to_owned(),
                origin,
                reason: format!("{url} answered HTTP {}: the domain publishes no DID configuration", response.status()),
            }));
        }
        let text = crate::http::text_capped(response, &url, domain::MAX_CONFIGURATION_BYTES).await?;
        Ok(domain::verify_configuration(&text, did, &origin, now, &resolution.document)?)
    }

    /// [`Resolver::check_domain`] for each of `domains`, all at once (each fetch under the one
    /// HTTP policy's deadline, so a slow domain holds up the answer by that much at most); the
    /// answers in the order asked.
    pub async fn check_domains(
        &self,
        did: &str,
        domains: &[String],
        now: u64,
    ) -> Vec<(String, Result<mpc_identity::domain::Linkage>)> {
        let checks =
            domains.iter().map(|domain| async move { (domain.clone(), self.check_domain(did, domain, now).await) });
        futures_util::future::join_all(checks).await
    }

    /// Verifies an invitation against its sender's DID, resolved (and for did:webvh, fetched and
    /// verified) here first. Returns the invitation and the resolution it was checked against.
    pub async fn verify_invitation(&self, signed: &SignedInvitation, now: u64) -> Result<(Invitation, Resolution)> {
        let from = signed.claimed_from()?;
        let resolution = self.resolve_for_use(&from).await?;
        let invitation = signed.verify_with(now, only(from, resolution.document.clone()))?;
        Ok((invitation, resolution))
    }

    /// Verifies any signed message against its sender's DID, resolved (and for did:webvh,
    /// fetched and verified) here first.
    pub async fn verify_signed(&self, signed: &SignedMessage) -> Result<(Verified, Resolution)> {
        let from = signed.claimed_from()?;
        let resolution = self.resolve_for_use(&from).await?;
        let verified = envelope::verify(signed, only(from, resolution.document.clone()))?;
        Ok((verified, resolution))
    }

    async fn resolve_webvh(&self, did: &str) -> Result<Resolution> {
        let log_url = webvh::file_url(did, webvh::LOG_FILE)?;
        let witness_url = webvh::file_url(did, webvh::WITNESS_FILE)?;
        let failed = |e: Error| match e {
            Error::Transport { url, reason } => Error::from(mpc_identity::Error::ResolutionFailed {
                did: did.to_owned(),
                reason: format!("{url}: {reason}"),
            }),
            other => other,
        };
        let jsonl = self.fetch(log_url.as_str(), true).await.map_err(failed)?.unwrap_or_default();
        let witness = self.fetch(witness_url.as_str(), false).await.map_err(failed)?;
        let log = webvh::verify(did, &jsonl, witness.as_deref())?;
        if let Some(peers) = &self.peers {
            // Check before recording so a rollback leaves the pin where it was.
            peers.check(&log)?;
            peers.record(peer_from(&log.did, &log.latest_document), Some(&log))?;
        }
        Ok(Resolution { document: log.document.clone(), document_json: log.document_json.clone(), log: Some(log) })
    }

    /// did:web: the document at the URL the DID names, which must be for that DID.
    async fn resolve_web(&self, did: &str) -> Result<Resolution> {
        let url = web_url(did)?;
        let failed =
            |reason: String| Error::from(mpc_identity::Error::ResolutionFailed { did: did.to_owned(), reason });
        crate::http::check_scheme(&url).map_err(|e| failed(e.to_string()))?;
        let response =
            self.http()?.get(&url).send().await.map_err(|e| failed(format!("{url}: {}", crate::http::explain(&e))))?;
        if !response.status().is_success() {
            return Err(failed(format!("{url}: HTTP {}", response.status())));
        }
        let text = crate::http::text_capped(response, &url, MAX_WEB_DOCUMENT_BYTES)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let document_json: Value =
            serde_json::from_str(&text).map_err(|e| failed(format!("{url} is not JSON: {e}")))?;
        let document = DidDocument::from_foreign_json(&document_json)
            .map_err(|e| crate::error::invalid_did(did, format!("its document is not usable: {e}")))?;
        if document.id != did {
            return Err(crate::error::invalid_did(did, format!("the document served is for `{}`", document.id)));
        }
        Ok(Resolution { document, document_json, log: None })
    }

    async fn resolve_ssi<R: DIDResolver>(&self, did: &str, resolver: &R) -> Result<Resolution> {
        let parsed = DID::new(did).map_err(|e| crate::error::invalid_did(did, e.to_string()))?;
        let output = resolver.resolve(parsed).await.map_err(|e| {
            Error::from(mpc_identity::Error::ResolutionFailed { did: did.to_owned(), reason: e.to_string() })
        })?;
        let document_json = serde_json::to_value(output.document.document())
            .map_err(|e| crate::error::invalid_did(did, e.to_string()))?;
        let document = DidDocument::from_foreign_json(&document_json)
            .map_err(|e| crate::error::invalid_did(did, format!("its document is not usable: {e}")))?;
        if document.id != did {
            return Err(crate::error::invalid_did(did, format!("the document served is for `{}`", document.id)));
        }
        Ok(Resolution { document, document_json, log: None })
    }

    /// Fetches a ledger file, refusing oversized bodies. A missing optional file is `None`.
    async fn fetch(&self, url: &str, required: bool) -> Result<Option<String>> {
        crate::http::check_scheme(url)?;
        let response = self.http()?.get(url).send().await.map_err(|e| transport(url, crate::http::explain(&e)))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND && !required {
            return Ok(None);
        }
        if !response.status().is_success() {
            let what = if response.status() == reqwest::StatusCode::NOT_FOUND { " (no such DID here)" } else { "" };
            return Err(transport(url, format!("HTTP {}{what}", response.status())));
        }
        crate::http::text_capped(response, url, webvh::MAX_LOG_BYTES).await.map(Some)
    }

    /// The `did:key` a mediator witnesses did:webvh logs with (from its `/ledger`).
    pub async fn ledger_witness(&self, mediator_url: &str) -> Result<String> {
        let url = crate::http::mediator_base(mediator_url)?.join("ledger").map_err(|e| transport(mediator_url, e))?;
        let url = url.to_string();
        crate::http::check_scheme(&url)?;
        let response = self.http()?.get(&url).send().await.map_err(|e| transport(&url, crate::http::explain(&e)))?;
        if !response.status().is_success() {
            return Err(transport(&url, format!("HTTP {} (not an mpc-id mediator?)", response.status())));
        }
        let text = crate::http::text_capped(response, &url, 64 * 1024).await?;
        let info: Value = serde_json::from_str(&text).map_err(|e| transport(&url, e))?;
        let witness = info["witness"].as_str().ok_or_else(|| transport(&url, "no `witness` in the answer"))?;
        mpc_identity::keys::PublicKey::from_multikey(witness.strip_prefix("did:key:").unwrap_or_default())?
            .as_ed25519()?;
        Ok(witness.to_owned())
    }

    /// Publishes a whole log to the host its DID names. The host verifies it too, and accepts
    /// it only as the first log for that name or as an extension of the log it holds.
    pub async fn publish(&self, did: &str, jsonl: &str) -> Result<()> {
        self.publish_with_token(did, jsonl, None).await
    }

    /// [`Resolver::publish`], presenting an enrollment token: a closed mediator hosts a new DID
    /// only for a token holder.
    pub async fn publish_with_token(&self, did: &str, jsonl: &str, token: Option<&str>) -> Result<()> {
        let url = webvh::file_url(did, webvh::LOG_FILE)?;
        let request =
            self.http()?.put(url.clone()).header(reqwest::header::CONTENT_TYPE, "text/jsonl").body(jsonl.to_owned());
        send_publication(request, token, &url).await
    }

    /// [`Resolver::publish_with_token`] with proofs from the log's witnesses (a
    /// `did-witness.json` file), for a log whose witnesses are not the host: the host checks
    /// each proof, keeps those still needed, and serves them beside the log.
    pub async fn publish_with_witness_proofs(
        &self,
        did: &str,
        jsonl: &str,
        proofs: &str,
        token: Option<&str>,
    ) -> Result<()> {
        let url = webvh::file_url(did, webvh::LOG_FILE)?;
        let proofs: Value = serde_json::from_str(proofs).map_err(|e| {
            Error::from(mpc_identity::Error::LedgerInvalid {
                did: did.to_owned(),
                reason: format!("the witness proofs are not JSON: {e}"),
            })
        })?;
        let body = serde_json::json!({ "log": jsonl, "witness": proofs });
        let request = self.http()?.put(url.clone()).json(&body);
        send_publication(request, token, &url).await
    }

    /// Leaves a copy of the log of a did:webvh DID hosted on its controller's own domain with
    /// the mediator at `mediator_url`, which then talks DIDComm with the DID (it cannot fetch
    /// logs itself); sent again after every new entry. With the log's witness proofs, if any.
    pub async fn keep_copy_at(
        &self,
        mediator_url: &str,
        jsonl: &str,
        proofs: Option<&str>,
        token: Option<&str>,
    ) -> Result<()> {
        let url =
            crate::http::mediator_base(mediator_url)?.join("ledger/copies").map_err(|e| transport(mediator_url, e))?;
        let request = match proofs {
            Some(proofs) => {
                let proofs: Value = serde_json::from_str(proofs).map_err(|e| transport(url.as_str(), e))?;
                self.http()?.put(url.clone()).json(&serde_json::json!({ "log": jsonl, "witness": proofs }))
            }
            None => {
                self.http()?.put(url.clone()).header(reqwest::header::CONTENT_TYPE, "text/jsonl").body(jsonl.to_owned())
            }
        };
        send_publication(request, token, &url).await
    }

    /// Uploads witness proofs (a `did-witness.json` file) for a DID the host already holds: for
    /// its entries, or for the entry about to be published (did:webvh 1.0 publishes witness
    /// proofs before the entry they witness).
    pub async fn add_witness_proofs(&self, did: &str, proofs: &str) -> Result<()> {
        let url = webvh::file_url(did, webvh::WITNESS_FILE)?;
        let request = self
            .http()?
            .put(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(proofs.to_owned());
        send_publication(request, None, &url).await
    }
}

/// Sends a PUT to a ledger host; its refusal becomes [`Error::PublishRefused`] with its reason.
async fn send_publication(mut request: reqwest::RequestBuilder, token: Option<&str>, url: &url::Url) -> Result<()> {
    crate::http::check_scheme(url.as_str())?;
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| transport(url.as_str(), crate::http::explain(&e)))?;
    if response.status().is_success() {
        return Ok(());
    }
    let status = response.status();
    let text = crate::http::text_capped(response, url.as_str(), 64 * 1024).await.unwrap_or_default();
    let reason = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| format!("HTTP {status}"));
    Err(Error::PublishRefused { url: url.to_string(), reason })
}

/// A resolver for one verification: `document` for the DID `from` the message claims, and a
/// refusal for any other (the signer must be the sender).
fn only(from: String, document: DidDocument) -> impl FnOnce(&str) -> mpc_identity::Result<DidDocument> {
    move |did| {
        if did == from { Ok(document) } else { Err(mpc_identity::Error::SignerMismatch { kid: did.to_owned(), from }) }
    }
}

/// The peer-book entry for a DID's (latest) document.
pub fn peer_from(did: &str, document: &DidDocument) -> Peer {
    let authentication_key = document
        .authentication
        .first()
        .and_then(|entry| match entry {
            did::Relationship::Reference(id) => {
                document.verification_method.iter().find(|m| document.absolute(&m.id) == document.absolute(id))
            }
            did::Relationship::Embedded(method) => Some(method),
        })
        .map(|m| m.public_key_multibase.clone())
        .filter(|k| !k.is_empty());
    let key_agreement_key =
        document.key_agreement_keys().ok().and_then(|keys| keys.first().map(|(_, k)| k.to_multikey()));
    Peer {
        did: did.to_owned(),
        label: None,
        authentication_key,
        key_agreement_key,
        mediator: document.didcomm_endpoint(),
        log_entries: None,
        log_version_id: None,
        deactivated: false,
        domains: Vec::new(),
        added: String::new(),
        verified: String::new(),
    }
}

/// The largest status list credential fetched (a list of millions of credentials, compressed).
const MAX_STATUS_LIST_BYTES: usize = 1024 * 1024;

/// Largest did:web document accepted.
const MAX_WEB_DOCUMENT_BYTES: usize = 256 * 1024;

/// The URL a did:web DID names (did:web method, "Read (Resolve)"): `:` separates path segments,
/// `%3A` a port; no path means `/.well-known`. HTTPS, except plain HTTP for `localhost` and
/// loopback addresses (development).
pub fn web_url(did: &str) -> Result<String> {
    let invalid = |reason: &str| crate::error::invalid_did(did, reason);
    let id = did.strip_prefix("did:web:").ok_or_else(|| invalid("not a did:web DID"))?;
    let mut segments = id.split(':');
    let authority = segments.next().filter(|a| !a.is_empty()).ok_or_else(|| invalid("no host"))?;
    let authority = authority.replace("%3A", ":").replace("%3a", ":");
    let host = authority.rsplit_once(':').map_or(authority.as_str(), |(host, _)| host);
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
        return Err(invalid("the host must be a domain name or an IPv4 address"));
    }
    let path: Vec<&str> = segments.collect();
    if path.iter().any(|segment| segment.is_empty() || segment.contains('/') || *segment == "..") {
        return Err(invalid("a path segment is empty or not a plain name"));
    }
    let loopback = host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    let path = if path.is_empty() { ".well-known".to_owned() } else { path.join("/") };
    Ok(format!("{scheme}://{authority}/{path}/did.json"))
}

fn transport(url: &str, reason: impl std::fmt::Display) -> Error {
    Error::Transport { url: url.to_owned(), reason: reason.to_string() }
}

/// Whether the mediator at `mediator_url` hosts the log of `did` (a did:webvh whose address is
/// under its `parties/`), as opposed to the DID's own domain.
pub fn hosted_by(did: &str, mediator_url: &str) -> bool {
    let (Ok(log), Ok(base)) = (webvh::file_url(did, webvh::LOG_FILE), crate::http::mediator_base(mediator_url)) else {
        return false;
    };
    base.join("parties/").is_ok_and(|parties| log.as_str().starts_with(parties.as_str()))
}
