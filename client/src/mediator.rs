//! The party's side of a mediator: enroll, send to a peer through the peer's mediator, pick up,
//! acknowledge, ping.
//!
//! A mediator is found by URL, but trusted by DID: its did:peer:2 document is fetched from
//! `/.well-known/did-peer.json` and must be exactly what that self-certifying DID resolves to, so
//! the server cannot hand out keys that are not its DID's. Everything sent is sealed to keys from
//! resolved DID documents; everything received is opened and its sender checked by the envelope
//! module.

mod live;

use serde_json::{Value, json};

use mpc_identity::did::{self, DidDocument, MediatorEndpoint, split_did_url};
use mpc_identity::envelope::encrypted::{self, RecipientKey};
use mpc_identity::invitation::SignedInvitation;
use mpc_identity::keystore::UnlockedIdentity;
use mpc_identity::protocols;

use crate::error::{Error, Result};
use crate::resolver::Resolver;
pub use live::LiveInbox;

use mpc_identity::bundle::{self, CheckedBundle, SharedBundle};
use protocols::{
    COORDINATE_MEDIATION as CM3, FORWARD, PICKUP, PING, PROBLEM_REPORT, PROGRAM_BUNDLE_SHARE, QUEUE_PURGE as PURGE,
};
/// Largest DID document a mediator may serve.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// How many messages a live session asks for at a time when it takes the backlog.
const PICKUP_BATCH: u32 = 100;
/// Largest reply read from a mediator: a delivery of 100 messages of its largest size.
const MAX_REPLY_BYTES: usize = 40 * 1024 * 1024;

/// A party acting through a mediator.
#[derive(Debug)]
pub struct MediatorClient {
    http: reqwest::Client,
    /// The mediator's DIDComm endpoint (`.../didcomm`).
    pub endpoint: String,
    /// The mediator's did:peer:2.
    pub did: String,
    pub(crate) keys: Vec<RecipientKey>,
}

/// One page of a pickup.
#[derive(Debug, Clone)]
pub struct Page {
    /// The messages that opened, in queue order.
    pub received: Vec<Received>,
    /// How many could not be opened and were discarded.
    pub discarded: usize,
    /// Where the next page starts; `None` when the queue was empty.
    pub cursor: Option<u64>,
    /// Whether the page was full, so more may wait.
    pub full: bool,
}

/// A message picked up from the queue, opened.
#[derive(Debug, Clone)]
pub struct Received {
    /// The queue id, for acknowledging.
    pub id: String,
    /// The opened plaintext message.
    pub message: Value,
    /// The sender's key id; `None` if it was sent anonymously.
    pub sender_kid: Option<String>,
}

impl MediatorClient {
    /// Connects to the mediator at `url` (its base URL) and checks its DID document.
    pub async fn connect(url: &str) -> Result<Self> {
        let base = crate::http::mediator_base(url)?;
        let http = http_client(url)?;
        let document_url = base.join(".well-known/did-peer.json").map_err(|e| transport(url, e))?;
        let response = http
            .get(document_url.clone())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| transport(url, crate::http::explain(&e)))?;
        let text = crate::http::text_capped(response, document_url.as_str(), MAX_DOCUMENT_BYTES).await?;
        let served: Value =
            serde_json::from_str(&text).map_err(|e| transport(url, format!("its DID document is not JSON ({e})")))?;
        let claimed = served["id"].as_str().ok_or_else(|| transport(url, "its DID document has no `id`"))?;
        let document = did::resolve(claimed)?;
        if serde_json::to_value(&document).ok().as_ref() != Some(&served) {
            return Err(transport(url, format!("the document it serves is not what {claimed} resolves to")));
        }
        let endpoint = document
            .didcomm_endpoint()
            .ok_or_else(|| transport(url, "its DID names no DIDCommMessaging endpoint"))?
            .uri;
        Ok(MediatorClient { http, endpoint, did: document.id.clone(), keys: encrypted::recipient_keys(&document)? })
    }

    /// The endpoint a party behind this mediator puts in its DID: the mediator's URI, with the
    /// mediator's key as the routing key that senders wrap `forward`s for. The key is named by
    /// its did:key URL, a fifth the length of the did:peer:2 one: it goes into every DID and
    /// invitation of every party here, and invitations must fit QR codes.
    pub fn routing_endpoint(&self) -> MediatorEndpoint {
        MediatorEndpoint {
            uri: self.endpoint.clone(),
            routing_keys: self.keys.iter().map(|k| did::key::x25519_key_url(&k.key)).collect(),
        }
    }

    /// Sends `message` to the mediator as `me` and returns its reply, if any. A problem report
    /// becomes [`Error::Problem`]; one that says the party is over its rate limit (others' junk
    /// can keep a party busy) is waited out and the request sent again, a few times, first.
    pub async fn request(&self, me: &UnlockedIdentity, message: &Value) -> Result<Option<Value>> {
        let kid = own_agreement_kid(me)?;
        let jwe = encrypted::authcrypt(message, &me.keys, &kid, &self.keys)?;
        let mut wait = std::time::Duration::from_millis(250);
        loop {
            // A refusal for the rate comes before the mediator records the message's id, so the
            // same envelope may be sent again.
            match self.request_once(me, &jwe, &kid).await {
                Err(Error::Problem { code, .. }) if code.contains("rate-limited") && wait.as_secs() < 2 => {
                    tracing::debug!(wait_ms = wait.as_millis() as u64, "the mediator says slow down; waiting");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                outcome => return outcome,
            }
        }
    }

    async fn request_once(&self, me: &UnlockedIdentity, jwe: &str, kid: &str) -> Result<Option<Value>> {
        let text = self.post(jwe.to_owned()).await?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        let reply = if text.contains("\"ciphertext\"") {
            let opened = encrypted::decrypt(&text, &me.keys, &[kid.to_owned()], did::resolve)?;
            if opened.sender_kid.as_deref().and_then(|k| split_did_url(k).map(|(d, _)| d)) != Some(self.did.as_str()) {
                return Err(transport(&self.endpoint, "the reply was not sealed by the mediator"));
            }
            opened.message
        } else {
            serde_json::from_str(&text).map_err(|e| transport(&self.endpoint, format!("reply is not JSON ({e})")))?
        };
        match problem_of(&reply) {
            Some(problem) => Err(problem),
            None => Ok(Some(reply)),
        }
    }

    /// Asks for mediation and registers `me`'s DID as a recipient.
    pub async fn enroll(&self, me: &UnlockedIdentity) -> Result<()> {
        self.enroll_with(me, None).await
    }

    /// [`MediatorClient::enroll`], presenting an enrollment token from the mediator's operator
    /// (a closed mediator requires one).
    pub async fn enroll_with(&self, me: &UnlockedIdentity, token: Option<&str>) -> Result<()> {
        let body = match token {
            Some(token) => json!({ "token": token }),
            None => json!({}),
        };
        let grant = self.expect_reply(me, &format!("{CM3}/mediate-request"), body).await?;
        if grant["type"] != format!("{CM3}/mediate-grant") {
            return Err(transport(&self.endpoint, format!("expected mediate-grant, got {}", grant["type"])));
        }
        let body = json!({ "updates": [{ "recipient_did": me.record.did, "action": "add" }] });
        let updated = self.expect_reply(me, &format!("{CM3}/recipient-update"), body).await?;
        match updated["body"]["updated"][0]["result"].as_str() {
            Some("success" | "no_change") => Ok(()),
            other => Err(Error::Problem {
                code: "recipient-update".into(),
                comment: format!("registering {} returned {other:?}", me.record.did),
            }),
        }
    }

    /// A trust ping; returns once the mediator answered.
    pub async fn ping(&self, me: &UnlockedIdentity) -> Result<()> {
        self.expect_reply(me, PING, json!({ "response_requested": true })).await.map(|_| ())
    }

    /// How many messages wait for `me`.
    pub async fn status(&self, me: &UnlockedIdentity) -> Result<u64> {
        let status = self.expect_reply(me, &format!("{PICKUP}/status-request"), json!({})).await?;
        Ok(status["body"]["message_count"].as_u64().unwrap_or(0))
    }

    /// Takes up to `limit` waiting messages and opens them. They stay queued until acknowledged;
    /// messages that cannot be opened are discarded (see [`MediatorClient::pickup_page`]).
    pub async fn pickup(&self, me: &UnlockedIdentity, limit: u32) -> Result<Vec<Received>> {
        Ok(self.pickup_page(me, limit, None).await?.received)
    }

    /// Takes up to `limit` waiting messages after `cursor` (from a previous page; `None` for the
    /// oldest) and opens them. Messages that cannot be opened (junk anyone can forward, or
    /// sealed to keys this party no longer has) are acknowledged at once and reported in the
    /// log: left queued, they would hide every later message.
    pub async fn pickup_page(&self, me: &UnlockedIdentity, limit: u32, cursor: Option<u64>) -> Result<Page> {
        let mut body = json!({ "limit": limit });
        if let Some(cursor) = cursor {
            body["cursor"] = json!(cursor);
        }
        let reply = self.expect_reply(me, &format!("{PICKUP}/delivery-request"), body).await?;
        let fetched = reply["attachments"].as_array().map_or(0, Vec::len);
        let opened = open_delivery(me, &own_agreement_kid(me)?, &reply).await;
        if !opened.unreadable.is_empty() {
            self.acknowledge(me, &opened.unreadable).await?;
        }
        Ok(Page {
            received: opened.received,
            discarded: opened.unreadable.len(),
            cursor: reply["body"]["cursor"].as_u64(),
            full: fetched >= limit as usize,
        })
    }

    /// Leaves a program bundle at the mediator until `expires_time` (a session's host does, for
    /// parties who do not have the program); returns the URL it can be fetched from. The mediator
    /// names it by the digest of its files, which this checks.
    pub async fn share_bundle(
        &self,
        me: &UnlockedIdentity,
        bundle: &SharedBundle,
        expires_time: u64,
    ) -> Result<String> {
        let digest = bundle.check()?.digest;
        let mut message = new_message(PROGRAM_BUNDLE_SHARE, &me.record.did, json!({ "expires_time": expires_time }));
        let content = serde_json::to_value(bundle).map_err(|e| transport(&self.endpoint, e))?;
        message["attachments"] =
            json!([{ "id": "bundle", "media_type": "application/json", "data": { "json": content } }]);
        let reply = self
            .request(me, &message)
            .await?
            .ok_or_else(|| transport(&self.endpoint, "no reply to the shared bundle"))?;
        let url = reply["body"]["url"].as_str().unwrap_or_default();
        if reply["body"]["digest"] != digest.as_str() || !url.ends_with(&digest) {
            return Err(transport(&self.endpoint, "the mediator named the bundle by another digest"));
        }
        Ok(url.to_owned())
    }

    /// Deletes everything waiting for `me` (a queue filled by an attacker); returns how many
    /// messages went.
    pub async fn purge(&self, me: &UnlockedIdentity) -> Result<u64> {
        let status = self.expect_reply(me, PURGE, json!({})).await?;
        Ok(status["body"]["purged"].as_u64().unwrap_or(0))
    }

    /// Deletes acknowledged messages from the queue; returns how many still wait.
    pub async fn acknowledge(&self, me: &UnlockedIdentity, ids: &[String]) -> Result<u64> {
        let status =
            self.expect_reply(me, &format!("{PICKUP}/messages-received"), json!({ "message_id_list": ids })).await?;
        Ok(status["body"]["message_count"].as_u64().unwrap_or(0))
    }

    async fn expect_reply(&self, me: &UnlockedIdentity, kind: &str, body: Value) -> Result<Value> {
        let message = new_message(kind, &me.record.did, body);
        self.request(me, &message).await?.ok_or_else(|| transport(&self.endpoint, format!("no reply to {kind}")))
    }

    async fn post(&self, body: String) -> Result<String> {
        post(&self.http, &self.endpoint, body).await
    }
}

/// Sends `message` from `me` to the DID `to`: sealed to `to`'s keys, then wrapped in a `forward`
/// for each routing key of `to`'s DIDComm service (innermost first), and posted to its endpoint.
///
/// The service's URI may be a DID instead of a URL (DIDComm v2.1, "DID as an endpoint": a
/// mediator named by its DID, as Coordinate Mediation 3.0's `routing_did` suggests): that DID is
/// resolved, the message is forwarded to it (unless the last routing key already is one of its
/// keys), wrapped for its own routing keys, and posted to the URL its own service names. One such
/// step: a DID whose service names yet another DID is refused.
pub async fn send(me: &UnlockedIdentity, to: &str, message: &Value) -> Result<()> {
    // Any method: a did:webvh recipient's log is fetched and verified, a deactivated one refused.
    let resolver = Resolver::new(None);
    let document = resolver.resolve_for_use(to).await?.document;
    let endpoint = document
        .didcomm_endpoint()
        .ok_or_else(|| crate::error::invalid_did(to, "names no DIDCommMessaging service to send to"))?;
    let kid = own_agreement_kid(me)?;
    let mut envelope = encrypted::authcrypt(message, &me.keys, &kid, &encrypted::recipient_keys(&document)?)?;
    let mut next = to.to_owned();
    for routing_key in endpoint.routing_keys.iter().rev() {
        envelope = wrap_forward(&envelope, &next, &keys_of(routing_key)?)?;
        next.clone_from(routing_key);
    }
    let mut uri = endpoint.uri.clone();
    if uri.starts_with("did:") {
        let hop = resolver.resolve_for_use(&uri).await?.document;
        let hop_endpoint = hop.didcomm_endpoint().ok_or_else(|| {
            crate::error::invalid_did(
                &uri,
                "is the service endpoint of the recipient but names no DIDCommMessaging service",
            )
        })?;
        if hop_endpoint.uri.starts_with("did:") {
            return Err(crate::error::invalid_did(
                &uri,
                format!("is the service endpoint of {to} but names another DID ({}) as its own", hop_endpoint.uri),
            ));
        }
        let hop_keys = encrypted::recipient_keys(&hop)?;
        let already_for_hop = match endpoint.routing_keys.first() {
            Some(outermost) => keys_of(outermost)?.iter().any(|key| hop_keys.iter().any(|own| own.key == key.key)),
            None => false,
        };
        if !already_for_hop {
            envelope = wrap_forward(&envelope, &next, &hop_keys)?;
            next.clone_from(&hop.id);
        }
        for routing_key in hop_endpoint.routing_keys.iter().rev() {
            envelope = wrap_forward(&envelope, &next, &keys_of(routing_key)?)?;
            next.clone_from(routing_key);
        }
        uri = hop_endpoint.uri;
    }
    let http = http_client(&uri)?;
    post(&http, &uri, envelope).await.map(|_| ())
}

/// `envelope` in a `forward` to `next`, anoncrypted to `keys` (the next hop's).
fn wrap_forward(envelope: &str, next: &str, keys: &[RecipientKey]) -> Result<String> {
    let inner = serde_json::from_str::<Value>(envelope)
        .map_err(|e| Error::from(mpc_identity::Error::Envelope(e.to_string())))?;
    let forward = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "type": FORWARD,
        // Lets the mediator refuse a captured copy once its replay record is gone.
        "created_time": mpc_identity::unix_now(),
        "body": { "next": next },
        "attachments": [{ "data": { "json": inner } }],
    });
    Ok(encrypted::anoncrypt(&forward, keys)?)
}

/// Publishes a signed invitation at the mediator whose endpoint is `mediator_uri`; returns the
/// short `_oobid` URL that now stands for it.
pub async fn publish_invitation(mediator_uri: &str, signed: &SignedInvitation) -> Result<String> {
    let url = crate::http::mediator_base(mediator_uri)?.join("oob").map_err(|e| transport(mediator_uri, e))?;
    let http = http_client(mediator_uri)?;
    let json = signed.to_json();
    let text = post(&http, url.as_str(), json.clone()).await?;
    let answer: Value =
        serde_json::from_str(&text).map_err(|e| transport(url.as_str(), format!("answer is not JSON ({e})")))?;
    let short = answer["url"].as_str().ok_or_else(|| transport(url.as_str(), "answer has no `url`"))?;
    // The store must name exactly these bytes.
    if oobid_of(short).as_deref() != Some(mpc_identity::invitation::content_address(json.as_bytes()).as_str()) {
        return Err(transport(url.as_str(), "the short link it returned does not name this invitation"));
    }
    Ok(short.to_owned())
}

/// Fetches the invitation a short `_oobid` URL names, and checks that its bytes hash to the id:
/// the host can serve it or not, but never serve another.
pub async fn fetch_invitation(short_url: &str) -> Result<SignedInvitation> {
    let id = oobid_of(short_url)
        .ok_or_else(|| Error::from(mpc_identity::Error::InvalidInvitationUrl("no `_oobid` parameter".into())))?;
    let http = http_client(short_url)?;
    let response = http.get(short_url).send().await.map_err(|e| transport(short_url, crate::http::explain(&e)))?;
    if !response.status().is_success() {
        return Err(transport(short_url, format!("HTTP {} (unknown or expired invitation)", response.status())));
    }
    let body = crate::http::read_capped(response, short_url, mpc_identity::invitation::MAX_INVITATION_BYTES).await?;
    if mpc_identity::invitation::content_address(&body) != id {
        return Err(Error::from(mpc_identity::Error::InvalidInvitationUrl(format!(
            "{short_url} served bytes that do not hash to its `_oobid`: the host altered or swapped the invitation"
        ))));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| Error::from(mpc_identity::Error::NotSignedMessage("not UTF-8".into())))?;
    Ok(SignedInvitation::parse(text)?)
}

/// The signed invitation a party was given, in any of its forms: a short link is fetched (and
/// its bytes checked against its id), a full invitation URL or the invitation's JSON is parsed.
/// The one reader behind `inspect`, `peers add` and joining a session; the signature is checked
/// by the caller, against the signer's resolved DID.
pub async fn read_invitation(text: &str) -> Result<SignedInvitation> {
    let text = text.trim();
    if oobid_of(text).is_some() { fetch_invitation(text).await } else { Ok(SignedInvitation::parse(text)?) }
}

/// Fetches the program bundle at `url` and checks that its files are those of `digest` (the one
/// the host signed into its invitation): the mediator can withhold a bundle, never swap one.
pub async fn fetch_bundle(url: &str, digest: &str) -> Result<CheckedBundle> {
    let http = http_client(url)?;
    let response = http.get(url).send().await.map_err(|e| transport(url, crate::http::explain(&e)))?;
    if !response.status().is_success() {
        return Err(transport(url, format!("HTTP {} (unknown or expired program bundle)", response.status())));
    }
    // Base64 grows the files by a third; the JSON around them is small.
    let body = crate::http::read_capped(response, url, bundle::MAX_SHARED_BYTES / 3 * 4 + 64 * 1024).await?;
    let shared: SharedBundle = serde_json::from_slice(&body)
        .map_err(|e| Error::from(mpc_identity::Error::InvalidBundle(format!("{url}: not a program bundle ({e})"))))?;
    let checked = shared.check()?;
    if checked.digest != digest {
        return Err(Error::from(mpc_identity::Error::InvalidBundle(format!(
            "{url} served files whose digest is {}, not the {digest} the host signed: refusing them",
            checked.digest
        ))));
    }
    Ok(checked)
}

/// The `_oobid` of a short invitation URL.
pub fn oobid_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.query_pairs().find(|(k, _)| k == "_oobid").map(|(_, v)| v.into_owned())
}

/// The attachments of a delivery: those that opened, and the ids of those that did not.
pub(crate) struct Opened {
    pub(crate) received: Vec<Received>,
    pub(crate) unreadable: Vec<String>,
}

/// Opens the attachments of a `delivery` sealed to `kid`; one that cannot be opened is reported
/// (a warning naming why) and returned for discarding.
pub(crate) async fn open_delivery(me: &UnlockedIdentity, kid: &str, delivery: &Value) -> Opened {
    let mut opened = Opened { received: Vec::new(), unreadable: Vec::new() };
    for attachment in delivery["attachments"].as_array().into_iter().flatten() {
        let id = attachment["id"].as_str().unwrap_or_default().to_owned();
        let envelope = attachment["data"]["json"].to_string();
        match open_from_anyone(&envelope, me, kid).await {
            Ok(message) => {
                opened.received.push(Received { id, message: message.message, sender_kid: message.sender_kid });
            }
            Err(e) => {
                // Debug, not warn: anyone can forward junk, thousands a second, and each would
                // be a line in the party's output. Callers report how many were discarded.
                tracing::debug!(id = %id, error = %e, "discarded a queued message that could not be opened");
                opened.unreadable.push(id);
            }
        }
    }
    opened
}

/// Decrypts a message from any party: a sender whose DID is not self-certifying (did:webvh) is
/// resolved and verified first, and its document is the only one the decryption may use.
async fn open_from_anyone(envelope: &str, me: &UnlockedIdentity, kid: &str) -> Result<encrypted::Decrypted> {
    let fetched = match encrypted::sender_did(envelope)? {
        Some(sender) if did::resolve(&sender).is_err() => {
            Some(Resolver::new(None).resolve_for_use(&sender).await?.document)
        }
        _ => None,
    };
    Ok(encrypted::decrypt(envelope, &me.keys, &[kid.to_owned()], |did| match &fetched {
        Some(document) if document.id == did => Ok(document.clone()),
        _ => did::resolve(did),
    })?)
}

/// The error a Problem Report stands for, if `message` is one.
pub(crate) fn problem_of(message: &Value) -> Option<Error> {
    (message["type"] == PROBLEM_REPORT).then(|| Error::Problem {
        code: message["body"]["code"].as_str().unwrap_or("").to_owned(),
        comment: message["body"]["comment"].as_str().unwrap_or("").to_owned(),
    })
}

/// A new plaintext message from `from`.
pub fn new_message(kind: &str, from: &str, body: Value) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "type": kind,
        "from": from,
        "created_time": mpc_identity::unix_now(),
        "body": body,
    })
}

/// The keys a routing key names: one key for a DID URL, every key-agreement key for a DID.
fn keys_of(routing_key: &str) -> Result<Vec<RecipientKey>> {
    let did = split_did_url(routing_key).map_or(routing_key, |(did, _)| did);
    let keys = encrypted::recipient_keys(&did::resolve(did)?)?;
    if routing_key.contains('#') {
        let chosen: Vec<RecipientKey> = keys.into_iter().filter(|k| k.kid == routing_key).collect();
        if chosen.is_empty() {
            return Err(Error::from(mpc_identity::Error::KeyNotAuthorized {
                kid: routing_key.to_owned(),
                did: did.to_owned(),
            }));
        }
        return Ok(chosen);
    }
    Ok(keys)
}

/// `me`'s first X25519 key id.
pub(crate) fn own_agreement_kid(me: &UnlockedIdentity) -> Result<String> {
    if me.record.method == mpc_identity::keystore::DidMethod::Webvh {
        // As the log's documents name it (`webvh::PartyDocument`).
        return Ok(format!("{}#key-2", me.record.did));
    }
    let document: DidDocument = did::resolve(&me.record.did)?;
    Ok(encrypted::recipient_keys(&document)?.remove(0).kid)
}

async fn post(http: &reqwest::Client, url: &str, body: String) -> Result<String> {
    let response = http
        .post(url)
        .header("content-type", "application/didcomm-encrypted+json")
        .body(body)
        .send()
        .await
        .map_err(|e| transport(url, crate::http::explain(&e)))?;
    let status = response.status();
    let text = crate::http::text_capped(response, url, MAX_REPLY_BYTES).await?;
    if status.is_success() || text.contains("\"ciphertext\"") {
        // A sealed refusal is opened and turned into an error by the caller.
        return Ok(text);
    }
    // A refusal in clear (to an anonymous or unreadable request), or no DIDComm at all.
    let problem = serde_json::from_str::<Value>(&text).ok().as_ref().and_then(problem_of);
    Err(problem.unwrap_or_else(|| transport(url, format!("HTTP {status}"))))
}

/// The HTTP client every request to a mediator uses: the one policy (`crate::http`). Replies are
/// sealed or hashed, so a redirect moves no trust.
fn http_client(url: &str) -> Result<reqwest::Client> {
    crate::http::check_scheme(url)?;
    crate::http::client(crate::http::Redirects::Follow)
        .map_err(|e| transport(url, format!("cannot make an HTTP client: {e}")))
}

pub(crate) fn transport(url: &str, reason: impl std::fmt::Display) -> Error {
    Error::Transport { url: url.to_owned(), reason: reason.to_string() }
}
