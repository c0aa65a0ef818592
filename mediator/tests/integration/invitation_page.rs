//! Invitation pages: a browser opening a short link gets a page about the invitation, checked in
//! the browser itself (a real headless chromium), while every other client gets the same bytes
//! as before.

use crate::common;

use std::time::Duration;

use common::*;
use mpc_client::mediator as client;
use mpc_identity::invitation::{Attachment, AttachmentData, Invitation, SignedInvitation, content_address};
use mpc_identity::unix_now;
use serde_json::json;

/// A session invitation, as `mpc-id session create` makes one.
fn session_invitation(party: &Party) -> SignedInvitation {
    let mut invitation = Invitation::new(
        &party.identity.record,
        Some("mpc-id.session"),
        Some("join the session pricing"),
        Duration::from_secs(3600),
        unix_now(),
    );
    invitation.attachments.push(Attachment {
        id: "mpc-id-session".to_owned(),
        media_type: "application/json".to_owned(),
        data: AttachmentData {
            json: json!({
                "session": "0123456789abcdef0123456789abcdef",
                "name": "pricing",
                "parties": 3,
                "program_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "program_name": "secretsanta.py",
                "args": ["--no-log", "-i", "3"],
                "mpyc_version": "0.11",
                "mpyc_ssl": false,
            }),
        },
    });
    invitation.sign(&party.identity.keys, &party.identity.record.signing_kid()).expect("sign")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_gets_a_checked_page_and_every_other_client_the_same_bytes() {
    let mediator = TestMediator::start(Backend::Sqlite).await;
    let alice = Party::new("alice", &mediator).await;
    alice.enroll().await;
    let signed = session_invitation(&alice);
    let link = client::publish_invitation(&mediator.base, &signed).await.expect("publish");
    let id = link.split("_oobid=").nth(1).expect("id").to_owned();

    // Clients that are not browsers: the bytes, unchanged, whatever else they accept.
    for accept in [None, Some("application/json"), Some("application/didcomm-signed+json, */*")] {
        let mut request = mpc_test_support::http().get(&link);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.expect("get");
        assert_eq!(response.headers()["content-type"], "application/didcomm-signed+json", "{accept:?}");
        let bytes = response.bytes().await.expect("bytes");
        assert_eq!(content_address(&bytes), id, "{accept:?}: the _oobid still matches");
        assert_eq!(std::str::from_utf8(&bytes).expect("utf8"), signed.to_json());
    }

    // A browser: a page, under a policy that allows nothing from elsewhere.
    let response = mpc_test_support::http()
        .get(&link)
        .header("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .send()
        .await
        .expect("get page");
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let policy = response.headers()["content-security-policy"].to_str().expect("csp").to_owned();
    assert!(policy.starts_with("default-src 'none'") && policy.contains("script-src 'self'"), "{policy}");
    let page = response.text().await.expect("page");
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "no resources from elsewhere");
    assert!(page.contains("<svg"), "the link's QR code, drawn without a script");
    // Without JavaScript (the page as served): everything but the in-browser check, which says
    // why it is missing.
    assert!(page.contains("Signature not checked here: this browser runs no JavaScript"), "{page}");
    assert!(page.contains(&format!("mpc-id session join &#39;{link}&#39; --program secretsanta.py")), "{page}");

    let Some(browser) =
        mpc_test_support::chromium("a_browser_gets_a_checked_page_and_every_other_client_the_same_bytes")
    else {
        return;
    };
    let dom = tokio::task::spawn_blocking({
        let (browser, link) = (browser.clone(), link.clone());
        move || mpc_test_support::rendered_dom(&browser, &link)
    })
    .await
    .expect("browser");
    assert!(dom.contains("Signature verified: checked in your browser against the DID"), "{dom}");
    let short_did: String = alice.did().chars().take(20).collect();
    assert!(dom.contains(&short_did), "names the inviter: {dom}");
    assert!(dom.contains("Expires") && dom.contains("UTC (in "), "says when it expires: {dom}");
    let command = format!("mpc-id session join '{link}' --program secretsanta.py");
    assert!(dom.contains(&command.replace('&', "&amp;")), "the command to join: {dom}");
    for shown in ["pricing", "secretsanta.py", "--no-log -i 3", "0.11", "9f86d081884c7d65"] {
        assert!(dom.contains(shown), "shows {shown}: {dom}");
    }

    // A phone-sized screenshot, kept for people to look at.
    let shot = std::env::temp_dir().join(format!("mpc-id-invitation-page-{}.png", std::process::id()));
    tokio::task::spawn_blocking({
        let (browser, link, shot) = (browser.clone(), link.clone(), shot.clone());
        move || mpc_test_support::screenshot(&browser, &link, &shot)
    })
    .await
    .expect("screenshot");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "a PNG of the page");
    eprintln!("invitation page screenshot: {}", shot.display());

    // The stored invitation altered (its goal rewritten, the signature kept): the browser refuses.
    let mut tampered: serde_json::Value = serde_json::from_str(&signed.to_json()).expect("json");
    let mut payload = signed.verify(unix_now()).expect("verifies");
    payload.body.goal = Some("send your inputs to mallory".to_owned());
    let payload = serde_json::to_vec(&payload).expect("payload");
    tampered["payload"] = json!(base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload));
    let database = mpc_mediator::default_sqlite_url(&mediator.dir.path().join("data"));
    let pool = sqlx::SqlitePool::connect(&database).await.expect("open the mediator's database");
    sqlx::query("UPDATE invitations SET body = $1 WHERE id = $2")
        .bind(tampered.to_string())
        .bind(&id)
        .execute(&pool)
        .await
        .expect("tamper");
    pool.close().await;
    let dom =
        tokio::task::spawn_blocking(move || mpc_test_support::rendered_dom(&browser, &link)).await.expect("browser");
    assert!(dom.contains("send your inputs to mallory"), "the altered page is shown: {dom}");
    assert!(dom.contains("Refused: the signature does NOT verify"), "and refused: {dom}");
    assert!(!dom.contains("Signature verified"), "{dom}");
}
