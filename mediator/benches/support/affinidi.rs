//! Affinidi's messaging mediator, set up for the side-by-side intake measurement: a DID of its own
//! (did:peer:2, Ed25519 and X25519, its secrets in its plain `file://` secret store), the embedded
//! Fjall store, anonymous forwards let in, and its per-client shares lifted as ours are.
//!
//! The binary comes from `cargo install affinidi-messaging-mediator` (see `scripts/bench-affinidi`);
//! the bench finds it through `MPC_ID_BENCH_AFFINIDI`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mpc_identity::did;
use mpc_identity::envelope::encrypted::{self, RecipientKey};
use mpc_identity::keystore::{DidMethod, Keystore};
use mpc_test_support::KillOnDrop;
use serde_json::{Value, json};

/// A running Affinidi mediator.
pub struct Affinidi {
    pub process: KillOnDrop,
    /// Where forwards are POSTed.
    pub inbound: String,
    /// The keys a forward to it is sealed to.
    pub keys: Vec<RecipientKey>,
    /// When an acknowledged forward is durable, in its own words.
    pub durability: &'static str,
    data: std::path::PathBuf,
    _home: tempfile::TempDir,
}

/// Starts `binary` on `port` with a new DID and an empty store, and waits until it answers.
pub async fn start(binary: &Path, port: u16) -> Affinidi {
    let home = tempfile::tempdir().expect("tempdir");
    let keystore = Keystore::open(home.path().join("keys")).expect("keystore");
    let mediator = keystore.create("affinidi-mediator", DidMethod::Peer, None, "pw").expect("mediator DID");
    let admin = keystore.create("affinidi-admin", DidMethod::Peer, None, "pw").expect("admin DID");
    let document = did::resolve(&mediator.record.did).expect("resolve");
    let keys = encrypted::recipient_keys(&document).expect("key agreement key");
    let agreement_kid = absolute(&mediator.record.did, &keys[0].kid);
    // The other key of the document is the Ed25519 one (did:peer:2 numbers them in its order).
    let signing_kid = document
        .verification_method
        .iter()
        .map(|method| absolute(&mediator.record.did, &method.id))
        .find(|id| *id != agreement_kid);

    let secret = mediator.keys.secret_bytes();
    let (seed, agreement) = (&secret[..32], &secret[32..]);
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let operating = json!([
        {
            "id": signing_kid.expect("a verification method"),
            "type": "JsonWebKey2020",
            "privateKeyJwk": { "kty": "OKP", "crv": "Ed25519", "x": b64(mediator.keys.verifying_key().as_bytes()), "d": b64(seed) }
        },
        {
            "id": agreement_kid,
            "type": "JsonWebKey2020",
            "privateKeyJwk": { "kty": "OKP", "crv": "X25519", "x": b64(mediator.keys.agreement_public().as_bytes()), "d": b64(agreement) }
        }
    ]);
    let envelope =
        |kind: &str, data: Value| b64(json!({ "version": 1, "kind": kind, "data": data }).to_string().as_bytes());
    let secrets = json!({ "entries": {
        "mediator_operating_secrets": envelope("operating-secrets", operating),
        "mediator_jwt_secret": envelope("jwt-secret", json!(jwt_pkcs8())),
    }});
    let secrets_file = home.path().join("secrets.json");
    std::fs::write(&secrets_file, secrets.to_string()).expect("secrets");

    let data = home.path().join("data");
    let config = format!(
        // Its shipped conf/mediator.toml (every field of a section is required), with the DIDs,
        // files and port of this run, anonymous forwards let in (the global ACL that makes it a
        // relay, no block on anonymous outer envelopes), no per-IP rate limit, queue limits out
        // of reach, no resolving of `next` for external forwarding, and the Fjall store.
        r#"log_level = "warn"
log_json = "false"
mediator_did = "did://{mediator}"
[secrets]
backend = "file://{secrets}"
[server]
listen_address = "127.0.0.1:{port}"
api_prefix = "/mediator/v1/"
admin_did = "did://{admin}"
trust_xff_cidrs = []
[database]
functions_file = "./atm-functions.lua"
database_url = "redis://127.0.0.1/"
database_timeout = "2"
[security]
mediator_acl_mode = "explicit_deny"
global_acl_default = "ALLOW_ALL"
local_direct_delivery_allowed = "true"
local_direct_delivery_allow_anon = "false"
use_ssl = "false"
ssl_certificate_file = "keys/end.cert"
ssl_key_file = "keys/end.key"
jwt_access_expiry = "900"
jwt_refresh_expiry = "86400"
block_anonymous_outer_envelope = "false"
force_session_did_match = "false"
block_remote_admin_msgs = "true"
trust_task_verification = "warn"
enable_inter_mediator_relay = "false"
[streaming]
enabled = "true"
uuid = "hostname://"
[did_resolver]
cache_capacity = "1000"
cache_ttl = "300"
network_timeout = "5000"
network_limit = "100"
[limits]
attachments_max_count = "20"
crypto_operations_per_message = "1000"
deleted_messages = "100"
forward_task_queue = "50000"
http_size = "10485760"
listed_messages = "100"
local_max_acl = "1000"
message_expiry_seconds = "604800"
delivered_expiry_seconds = "0"
pickup_round_robin = "true"
message_size = "1048576"
queued_send_messages_per_peer = "100000000"
queued_send_messages_soft = "100000000"
queued_send_messages_hard = "100000000"
queued_receive_messages_soft = "100000000"
queued_receive_messages_hard = "100000000"
to_keys_per_recipient = "100"
to_recipients = "100"
ws_size = "10485760"
access_list_limit = "1000"
oob_invite_ttl = "86400"
rate_limit_per_ip = "0"
[processors.forwarding]
enabled = "true"
future_time_limit = "86400"
external_forwarding = "false"
report_errors = "true"
blocked_forwarding_dids = "[]"
rate_window_seconds = "300"
ws_threshold_msgs_per_10s = "1"
ws_idle_timeout_seconds = "60"
batch_size = "50"
max_retries = "5"
initial_backoff_ms = "1000"
max_backoff_ms = "60000"
consumer_group = "forwarding"
max_hops = "10"
relay_mode = "blind"
relay_trusted_mediators = ""
[processors.message_expiry_cleanup]
enabled = "true"
[processors.session_expiry_cleanup]
enabled = "true"
[storage]
backend = "fjall"
data_dir = "{data}"
"#,
        mediator = mediator.record.did,
        admin = admin.record.did,
        secrets = secrets_file.display(),
        data = data.display(),
    );
    let config_file = home.path().join("mediator.toml");
    std::fs::write(&config_file, config).expect("config");

    let process = KillOnDrop(
        std::process::Command::new(binary)
            .current_dir(home.path())
            .arg("--config")
            .arg(&config_file)
            // It logs a warning for every request without a session token: that is each forward.
            .env("RUST_LOG", "error")
            .spawn()
            .expect("the Affinidi mediator starts"),
    );
    let base = format!("http://127.0.0.1:{port}/mediator/v1");
    let http = mpc_test_support::http();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !http.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
        assert!(std::time::Instant::now() < deadline, "the Affinidi mediator did not become ready");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Affinidi { process, inbound: format!("{base}/inbound"), keys, durability: "Fjall, buffered", data, _home: home }
}

impl Affinidi {
    /// The bytes its store holds on disk: the forwards it said it took are there.
    pub fn stored_bytes(&self) -> u64 {
        fn size(path: &Path) -> u64 {
            match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => {
                    std::fs::read_dir(path).into_iter().flatten().flatten().map(|entry| size(&entry.path())).sum()
                }
                Ok(meta) => meta.len(),
                Err(_) => 0,
            }
        }
        size(&self.data)
    }
}

/// A DID URL with the DID in front of a bare fragment.
fn absolute(did: &str, id: &str) -> String {
    if id.starts_with('#') { format!("{did}{id}") } else { id.to_owned() }
}

/// A new Ed25519 key as PKCS#8 v2 DER (seed and public key), the shape its JWT secret takes.
fn jwt_pkcs8() -> Vec<u8> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("random");
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut der = vec![0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    der.extend_from_slice(&seed);
    der.extend_from_slice(&[0xa1, 0x23, 0x03, 0x21, 0x00]);
    der.extend_from_slice(&public);
    der
}
