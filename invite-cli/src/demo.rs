//! `mpc-id demo`: the whole flow of this release on one machine, step by step, in a throwaway
//! keystore: a mediator on loopback with SQLite, two parties that enroll with it, a signed
//! invitation behind a short link, a forged copy refused, and a message delivered live through
//! the mediator.

use std::time::Duration;

use anyhow::{Context, bail};
use mpc_identity::client::{self, MediatorClient};
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::keystore::{DidMethod, Keystore};
use mpc_identity::qr::InvitationQr;
use mpc_identity::unix_now;
use serde_json::json;

use crate::cli::DemoArgs;
use crate::messaging::block_on;

pub fn demo(args: &DemoArgs) -> anyhow::Result<()> {
    block_on(run(args))?
}

async fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let home = args.home.clone().unwrap_or_else(|| scratch.path().join("keystore"));
    let keystore = Keystore::open(&home)?;
    // Throwaway identities: a random passphrase that nobody needs to know.
    let passphrase = uuid::Uuid::new_v4().to_string();

    step(1, "a mediator starts on loopback, with SQLite");
    let config = mpc_mediator::MediatorConfig::local(scratch.path().join("mediator"));
    let mediator = mpc_mediator::start(config).await?;
    let url = format!("http://{}", mediator.address);
    println!("   {url}  {}", crate::abbreviate_did(&mediator.state.identity.did));

    step(2, "alice and bob create identities whose DIDs route through it, and enroll");
    let client = MediatorClient::connect(&url).await?;
    let alice = keystore.create("alice", DidMethod::Peer, Some(client.routing_endpoint()), &passphrase)?;
    let bob = keystore.create("bob", DidMethod::Peer, Some(client.routing_endpoint()), &passphrase)?;
    for party in [&alice, &bob] {
        client.enroll(party).await?;
        println!("   {}  {}", party.record.name, crate::abbreviate_did(&party.record.did));
    }

    step(3, "alice signs an invitation and publishes it behind a short link");
    let invitation = Invitation::new(&alice.record, None, Some("demo MPC"), Duration::from_secs(3600), unix_now());
    let signed = invitation.sign(&alice.keys, &alice.record.signing_kid())?;
    let short = client::publish_invitation(&client.endpoint, &signed).await?;
    let qr = InvitationQr::new(&short)?;
    println!("   {short}");
    println!("   QR version {}, level {}: fits a terminal and scans from a screen", qr.version(), qr.level());

    step(4, "bob fetches it, re-hashes it, and verifies it against alice's DID");
    let verified = client::fetch_invitation(&short).await?.verify(unix_now())?;
    println!("   valid: from {}", crate::abbreviate_did(&verified.from));

    step(5, "mallory re-signs alice's invitation with bob's key and claims it is alice's");
    let forged = invitation.sign(&bob.keys, &alice.record.signing_kid())?;
    match SignedInvitation::parse(&forged.to_json())?.verify(unix_now()) {
        Ok(_) => bail!("a forged invitation verified; this is a bug"),
        Err(mpc_identity::Error::BadSignature { .. }) => {
            println!("   refused: bad signature, not made by the key of the DID it names");
        }
        Err(err) => println!("   refused: {err}"),
    }

    step(6, "bob listens live; alice sends him a message through the mediator, end to end encrypted");
    let mut inbox = client.live(&bob).await?;
    let mut message = client::new_message(
        "https://didcomm.org/basicmessage/2.0/message",
        &alice.record.did,
        json!({ "content": "hello bob, ready to compute?" }),
    );
    message["to"] = json!([bob.record.did]);
    client::send(&alice, &bob.record.did, &message).await?;
    let received = tokio::time::timeout(Duration::from_secs(10), inbox.next(&bob))
        .await
        .context("the message did not arrive within 10 s")??;
    let first = received.first().context("an empty delivery")?;
    println!(
        "   bob got: {:?} from {}",
        first.message["body"]["content"].as_str().unwrap_or(""),
        crate::abbreviate_did(first.message["from"].as_str().unwrap_or(""))
    );
    inbox.acknowledge(&bob, std::slice::from_ref(&first.id)).await?;

    mediator.stop().await?;
    println!();
    match &args.home {
        Some(home) => println!("The identities are in {}.", home.display()),
        None => println!(
            "Done; the scratch keystore and mediator are removed. Next: `mpc-id new` for an identity of your own."
        ),
    }
    Ok(())
}

fn step(n: u32, text: &str) {
    println!("{n}. {text}");
}
