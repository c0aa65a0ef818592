//! `mpc-id demo`: the whole flow of this release on one machine, step by step, in a throwaway
//! keystore: two parties create identities, one invites, the other verifies the invitation and
//! refuses a forged copy.

use std::time::Duration;

use anyhow::{Context, bail};
use mpc_identity::did::MediatorEndpoint;
use mpc_identity::invitation::{Invitation, SignedInvitation};
use mpc_identity::keystore::{DidMethod, Keystore};
use mpc_identity::qr::InvitationQr;
use mpc_identity::unix_now;

use crate::cli::DemoArgs;

pub fn demo(args: &DemoArgs) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let home = args.home.clone().unwrap_or_else(|| scratch.path().join("keystore"));
    let keystore = Keystore::open(&home)?;
    // Throwaway identities: a random passphrase that nobody needs to know.
    let passphrase = uuid::Uuid::new_v4().to_string();

    step(1, "alice creates an identity (did:peer:2 naming her mediator)");
    let mediator = MediatorEndpoint::from_url("https://mediator.example.org")?;
    let alice = keystore.create("alice", DidMethod::Peer, Some(mediator), &passphrase)?;
    println!("   {}", alice.record.did);

    step(2, "bob creates an identity (did:key)");
    let bob = keystore.create("bob", DidMethod::Key, None, &passphrase)?;
    println!("   {}", bob.record.did);

    step(3, "alice signs an invitation, valid for one hour");
    let invitation = Invitation::new(&alice.record, None, Some("demo MPC"), Duration::from_secs(3600), unix_now());
    let signed = invitation.sign(&alice.keys, &alice.record.signing_kid())?;
    let url = signed.to_url(alice.record.mediator.as_ref());
    let qr = InvitationQr::new(&url)?;
    println!("   {} bytes as a URL; QR version {}, level {}", url.len(), qr.version(), qr.level());

    step(4, "bob verifies it against alice's DID");
    let verified = SignedInvitation::parse(&url)?.verify(unix_now())?;
    println!("   valid: from {}", short(&verified.from));
    println!("   alice's keys:  {} / {}", verified.body.keys.authentication, verified.body.keys.key_agreement);
    let reach = verified.body.mediator.as_ref().map_or("none", |m| m.uri.as_str());
    println!("   alice's mediator: {reach}");

    step(5, "mallory re-signs alice's invitation with bob's key and claims it is alice's");
    let forged = invitation.sign(&bob.keys, &alice.record.signing_kid())?;
    match SignedInvitation::parse(&forged.to_json())?.verify(unix_now()) {
        Ok(_) => bail!("a forged invitation verified; this is a bug"),
        Err(err) => println!("   refused: {err}"),
    }

    println!();
    match &args.home {
        Some(home) => println!("The identities are in {}.", home.display()),
        None => println!("Done; the scratch keystore is removed. Next: `mpc-id new` for an identity of your own."),
    }
    Ok(())
}

fn step(n: u32, text: &str) {
    println!("{n}. {text}");
}

fn short(did: &str) -> String {
    if did.chars().count() <= 64 { did.to_owned() } else { format!("{}...", did.chars().take(61).collect::<String>()) }
}
