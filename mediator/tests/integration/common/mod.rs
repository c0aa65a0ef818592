//! A DIDComm client for the tests, built from `mpc-identity` and plain HTTP: everything a party
//! sends is sealed and opened with the same library parties use.

pub mod load;
pub mod ws;

use mpc_identity::did;
use mpc_identity::envelope::encrypted::{self, RecipientKey};
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use mpc_mediator::{MediatorConfig, RunningMediator};
use serde_json::{Value, json};

pub const PING: &str = "https://didcomm.org/trust-ping/2.0/ping";
pub const FORWARD: &str = "https://didcomm.org/routing/2.0/forward";
pub const CM3: &str = "https://didcomm.org/coordinate-mediation/3.0/";
pub const CM2: &str = "https://didcomm.org/coordinate-mediation/2.0/";
pub const PICKUP: &str = "https://didcomm.org/messagepickup/3.0/";

/// Which database a test mediator uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Backend)` as two tests, `sqlite::NAME` and `postgres::NAME`; the
/// second is skipped, loudly, where no PostgreSQL server is given.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name(super::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $name() {
                if mpc_test_support::postgres_url(concat!("postgres::", stringify!($name))).is_none() { return; }
                super::$name(super::Backend::Postgres).await
            } )*
        }
    };
}

/// A fresh database on the test PostgreSQL server (`scripts/test` starts one).
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let admin = std::env::var(mpc_test_support::POSTGRES_URL_VAR)
        .expect("no PostgreSQL server: tests that need one check `mpc_test_support::postgres_url` first");
    let name = format!("mpc_test_{}", uuid().replace('-', ""));
    let mut connection = sqlx::PgConnection::connect(&admin).await.expect("connect to the test PostgreSQL server");
    // The name is ours (hex digits), not input: safe to splice.
    let create = sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"));
    sqlx::query(create).execute(&mut connection).await.expect("create database");
    let (base, _) = admin.rsplit_once('/').expect("URL has a database");
    format!("{base}/{name}")
}

/// A mediator on loopback with its own data directory and database.
pub struct TestMediator {
    pub dir: tempfile::TempDir,
    pub running: Option<RunningMediator>,
    pub base: String,
    pub database_url: Option<String>,
}

impl TestMediator {
    /// Moves the mediator's clock ahead instead of waiting (expiry, buckets, sweeps).
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.running.as_ref().expect("a running mediator").advance_clock(by);
    }

    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut MediatorConfig)) -> Self {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres_database().await),
        };
        Self::start_on(database_url, adjust).await
    }

    /// A mediator on a given database (several may share one PostgreSQL database).
    pub async fn start_on(database_url: Option<String>, adjust: impl FnOnce(&mut MediatorConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = MediatorConfig::local(dir.path().join("data"));
        config.database_url.clone_from(&database_url);
        adjust(&mut config);
        let running = mpc_mediator::start(config).await.expect("mediator starts");
        let base = format!("http://{}", running.address);
        TestMediator { dir, running: Some(running), base, database_url }
    }

    pub async fn restart(&mut self) {
        let running = self.running.take().expect("running");
        let listen = running.address;
        running.stop().await.expect("stops cleanly");
        let mut config = MediatorConfig::local(self.dir.path().join("data"));
        config.listen = listen;
        config.database_url.clone_from(&self.database_url);
        self.running = Some(mpc_mediator::start(config).await.expect("restarts"));
    }

    pub fn did(&self) -> String {
        self.running.as_ref().expect("running").did().to_owned()
    }
}

/// A party with its keys and an HTTP client for one mediator.
pub struct Party {
    pub identity: UnlockedIdentity,
    pub kids: Vec<String>,
    pub http: reqwest::Client,
    pub base: String,
    pub mediator_keys: Vec<RecipientKey>,
    _home: tempfile::TempDir,
}

/// What the mediator answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The decrypted (or plaintext) reply, if any.
    pub message: Option<Value>,
}

impl Answer {
    pub fn kind(&self) -> &str {
        self.message.as_ref().and_then(|m| m["type"].as_str()).unwrap_or("")
    }

    pub fn body(&self) -> &Value {
        self.message.as_ref().map_or(&Value::Null, |m| &m["body"])
    }

    pub fn problem_code(&self) -> &str {
        self.body()["code"].as_str().unwrap_or("")
    }
}

impl Party {
    pub async fn new(name: &str, mediator: &TestMediator) -> Self {
        Self::at(name, &mediator.base).await
    }

    /// A party of the mediator at `base` (a URL).
    pub async fn at(name: &str, base: &str) -> Self {
        Self::at_with(name, base, mpc_test_support::http()).await
    }

    /// [`Party::at`] with its own HTTP client (one that trusts a test CA, say).
    pub async fn at_with(name: &str, base: &str, http: reqwest::Client) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let store = Keystore::open(home.path()).expect("keystore");
        let identity = store.create(name, DidMethod::Peer, None, "pw").expect("create");
        let document = did::resolve(&identity.record.did).expect("resolve");
        let kids = encrypted::recipient_keys(&document).expect("keys").into_iter().map(|k| k.kid).collect();
        let peer_doc: Value = http
            .get(format!("{base}/.well-known/did-peer.json"))
            .send()
            .await
            .expect("did-peer.json")
            .text()
            .await
            .map(|text| serde_json::from_str(&text).expect("json"))
            .expect("body");
        let mediator_doc = did::resolve(peer_doc["id"].as_str().expect("id")).expect("mediator DID resolves");
        assert_eq!(serde_json::to_value(&mediator_doc).expect("json"), peer_doc, "served document is the DID's own");
        let mediator_keys = encrypted::recipient_keys(&mediator_doc).expect("keys");
        Party { identity, kids, http, base: base.to_owned(), mediator_keys, _home: home }
    }

    pub fn did(&self) -> &str {
        &self.identity.record.did
    }

    /// The same identity, for acting as this party through another mediator instance.
    pub fn identity_clone(&self) -> UnlockedIdentity {
        let keys =
            mpc_identity::keys::PartyKeys::from_secret_slice(&*self.identity.keys.secret_bytes()).expect("64 bytes");
        UnlockedIdentity { record: self.identity.record.clone(), keys, ledger: None }
    }

    /// A plaintext message from this party.
    pub fn message(&self, kind: &str, body: Value) -> Value {
        json!({ "id": uuid(), "type": kind, "from": self.did(), "body": body })
    }

    /// Seals `message` to the mediator (authcrypt), posts it, and opens the answer.
    pub async fn send(&self, message: &Value) -> Answer {
        let jwe = encrypted::authcrypt(message, &self.identity.keys, &self.kids[0], &self.mediator_keys).expect("seal");
        self.post(jwe).await
    }

    /// Sends `kind` with `body` and returns the answer.
    pub async fn ask(&self, kind: &str, body: Value) -> Answer {
        self.send(&self.message(kind, body)).await
    }

    pub async fn post(&self, body: String) -> Answer {
        let response = self
            .http
            .post(format!("{}/didcomm", self.base))
            .header("content-type", "application/didcomm-encrypted+json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        Answer { status, message: self.open(&text) }
    }

    /// Opens a reply: sealed to us, or plaintext.
    pub fn open(&self, text: &str) -> Option<Value> {
        if text.is_empty() {
            return None;
        }
        let value: Value = serde_json::from_str(text).expect("reply is JSON");
        if value.get("ciphertext").is_none() {
            return Some(value);
        }
        let opened = encrypted::decrypt(text, &self.identity.keys, &self.kids, did::resolve).expect("reply opens");
        Some(opened.message)
    }

    /// Opens a delivery attachment sealed to this party: the message and who sealed it.
    pub fn open_attachment(&self, attachment: &Value) -> (Value, Option<String>) {
        let envelope = attachment["data"]["json"].to_string();
        let opened =
            encrypted::decrypt(&envelope, &self.identity.keys, &self.kids, did::resolve).expect("attachment opens");
        (opened.message, opened.sender_kid)
    }

    /// Mediation granted and this party's DID registered as a recipient.
    pub async fn enroll(&self) {
        let grant = self.ask(&format!("{CM3}mediate-request"), json!({})).await;
        assert_eq!(grant.kind(), format!("{CM3}mediate-grant"), "{grant:?}");
        let update = self
            .ask(
                &format!("{CM3}recipient-update"),
                json!({"updates": [{"recipient_did": self.did(), "action": "add"}]}),
            )
            .await;
        assert_eq!(update.body()["updated"][0]["result"], "success", "{update:?}");
    }

    /// An anoncrypted forward to `to` carrying `inner` (already sealed for `to`).
    pub fn forward(&self, next: &str, inner: &str) -> String {
        forward_via(&self.mediator_keys, next, inner)
    }

    /// A message from this party sealed for `recipient` (authcrypt).
    pub fn seal_for(&self, recipient: &Party, body: Value) -> (Value, String) {
        let message = json!({
            "id": uuid(), "type": "https://example.org/mpc/1.0/hello",
            "from": self.did(), "to": [recipient.did()], "body": body
        });
        let document = did::resolve(recipient.did()).expect("resolve");
        let keys = encrypted::recipient_keys(&document).expect("keys");
        let jwe = encrypted::authcrypt(&message, &self.identity.keys, &self.kids[0], &keys).expect("seal");
        (message, jwe)
    }
}

/// An anoncrypted forward to `next` carrying `inner`, for the mediator whose keys are `mediator`
/// (another mediator's, in the comparison bench).
pub fn forward_via(mediator: &[RecipientKey], next: &str, inner: &str) -> String {
    let inner: Value = serde_json::from_str(inner).expect("json");
    let forward = json!({
        "id": uuid(), "type": FORWARD, "body": {"next": next},
        "attachments": [{"data": {"json": inner}}]
    });
    encrypted::anoncrypt(&forward, mediator).expect("anoncrypt")
}

/// A forward of junk to `next` that nobody can open: what an anonymous attacker sends.
pub fn junk_forward(attacker: &Party, next: &str) -> String {
    let junk = json!({ "protected": uuid(), "iv": "AAAA", "ciphertext": uuid(), "tag": "AAAA", "recipients": [] });
    let forward = json!({
        "id": uuid(), "type": FORWARD, "body": { "next": next },
        "attachments": [{ "data": { "json": junk } }]
    });
    encrypted::anoncrypt(&forward, &attacker.mediator_keys).expect("anoncrypt")
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `mpc-mediator` as its own process on 127.0.0.1:`port`, with `extra` options.
pub fn spawn_mediator(port: u16, data: &std::path::Path, database_url: Option<&str>, extra: &[&str]) -> KillOnDrop {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mpc-mediator"));
    command.args(["--listen", &format!("127.0.0.1:{port}")]).args(extra).arg("--data-dir").arg(data);
    command.env("RUST_LOG", "warn,iroh_relay=error");
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    KillOnDrop(command.spawn().expect("mpc-mediator starts"))
}

/// Waits until the mediator at `base` says it is ready (20 s at most).
pub async fn wait_ready(base: &str) {
    wait_ready_with(base, &mpc_test_support::http()).await
}

/// [`wait_ready`] through `http`.
pub async fn wait_ready_with(base: &str, http: &reqwest::Client) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("mediator at {base} did not become ready");
}

// Not every test file uses both.
#[allow(unused_imports)]
pub use mpc_test_support::{KillOnDrop, free_port};
