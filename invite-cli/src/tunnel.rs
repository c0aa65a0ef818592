//! `mpc-id tunnel listen` and `connect`: TCP over peer connections, peers named by DID.

use std::time::Duration;

use anyhow::Context;
use mpc_connect::tunnel::{Forwarder, Server, TunnelOptions};
use mpc_connect::{Allowlist, PeerEndpoint, peer};
use mpc_identity::keystore::{Keystore, UnlockedIdentity};

use crate::cli::{TunnelConnectArgs, TunnelListenArgs};

pub fn listen(keystore: &Keystore, args: &TunnelListenArgs) -> anyhow::Result<()> {
    let me = crate::context::unlock(keystore, &args.identity.name)?;
    crate::context::runtime(crate::context::Threads::PerCore)?.block_on(async {
        let resolver = crate::context::resolver(keystore);
        let allow = Allowlist::default();
        let mut peers = Vec::new();
        for did in &args.allow {
            let document = resolver.resolve_for_use(did).await?.document;
            let address = peer::address(&document)?;
            allow.allow(address.id);
            peers.push(address);
        }
        let endpoint = bind(&me, allow, args.relay_only, &peers).await?;
        let options = TunnelOptions { connect_timeout: args.timeout, ..TunnelOptions::default() };
        let _server = Server::start(endpoint.clone(), args.to, options);
        println!("Listening as {} (endpoint {})", me.record.did, endpoint.id());
        println!("  to        {}", args.to);
        println!("  peers     {}", args.allow.join(", "));
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        endpoint.close().await;
        Ok(())
    })
}

pub fn connect(keystore: &Keystore, args: &TunnelConnectArgs) -> anyhow::Result<()> {
    let me = crate::context::unlock(keystore, &args.identity.name)?;
    crate::context::runtime(crate::context::Threads::PerCore)?.block_on(async {
        let resolver = crate::context::resolver(keystore);
        let document = resolver.resolve_for_use(&args.peer).await?.document;
        let address = peer::address(&document)?;
        let endpoint = bind(&me, Allowlist::new([address.id]), args.relay_only, std::slice::from_ref(&address)).await?;
        let options = TunnelOptions { connect_timeout: args.timeout, ..TunnelOptions::default() };
        let forwarder = Forwarder::start(endpoint.clone(), address, args.local, options).await?;
        println!("Forwarding {} to {}", forwarder.local_addr(), args.peer);
        // The path, whenever it changes: relayed first, direct once hole punching succeeds.
        let mut shown = None;
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            let path = forwarder.path().await;
            let line = match &path {
                Some(p) if p.direct => format!("path  direct  {}  rtt {:.1} ms", p.remote, p.rtt.as_secs_f64() * 1e3),
                Some(p) => format!("path  relayed  {}  rtt {:.1} ms", p.remote, p.rtt.as_secs_f64() * 1e3),
                None => "path  not connected (yet)".to_owned(),
            };
            let kind = path.as_ref().map(|p| p.direct);
            if shown != Some(kind) {
                println!("{line}");
                shown = Some(kind);
            }
        }
        endpoint.close().await;
        Ok(())
    })
}

/// This party's endpoint: its identity key, its own mediator's relay (and nothing else with
/// `relay_only`), `peers` found where their mediators say.
async fn bind(
    me: &UnlockedIdentity,
    allow: Allowlist,
    relay_only: bool,
    peers: &[mpc_connect::EndpointAddr],
) -> anyhow::Result<PeerEndpoint> {
    Ok(mpc_session::run::bind_endpoint(me, allow, relay_only, peers).await?)
}
