//! `mpc-id mediator enroll`, `send`, `inbox` and `ping`: talking to peers through mediators.

use std::time::{Duration, Instant};

use anyhow::bail;
use mpc_client::mediator::{self as client, MediatorClient};
use mpc_identity::keystore::{Keystore, UnlockedIdentity};
use serde_json::{Value, json};

use std::path::PathBuf;

use crate::cli::{EnrollArgs, InboxArgs, PingArgs, PurgeArgs, SendArgs, TokenCreateArgs};

use mpc_identity::protocols::BASIC_MESSAGE;

/// The mediator an identity uses: the one given, else the one in its record.
async fn mediator_of(identity: &UnlockedIdentity, url: Option<&str>) -> anyhow::Result<MediatorClient> {
    let url = match (url, &identity.record.mediator) {
        (Some(url), _) => url.to_owned(),
        (None, Some(mediator)) => mediator.uri.clone(),
        (None, None) => bail!("identity `{}` has no mediator; give its URL", identity.record.name),
    };
    Ok(MediatorClient::connect(&url).await?)
}

pub fn enroll(keystore: &Keystore, args: &EnrollArgs) -> anyhow::Result<()> {
    let me = crate::context::unlock(keystore, &args.identity.name)?;
    crate::context::block_on(async {
        let mediator = mediator_of(&me, args.url.as_deref()).await?;
        mediator.enroll_with(&me, args.token.as_deref()).await?;
        if args.output.json {
            return crate::output::print_json(
                &json!({ "did": me.record.did, "mediator": mediator.did, "endpoint": mediator.endpoint }),
            );
        }
        println!("`{}` is enrolled with mediator {}", me.record.name, crate::output::abbreviate_did(&mediator.did));
        println!("  endpoint  {}", mediator.endpoint);
        anyhow::Ok(())
    })?
}

pub fn purge(keystore: &Keystore, args: &PurgeArgs) -> anyhow::Result<()> {
    let me = crate::context::unlock(keystore, &args.identity.name)?;
    crate::context::block_on(async {
        let mediator = mediator_of(&me, None).await?;
        let purged = mediator.purge(&me).await?;
        if args.output.json {
            return crate::output::print_json(&json!({ "did": me.record.did, "purged": purged }));
        }
        println!("deleted {purged} waiting messages at mediator {}", crate::output::abbreviate_did(&mediator.did));
        anyhow::Ok(())
    })?
}

/// `mpc-id mediator token create`: straight into the mediator's database.
pub fn create_token(args: &TokenCreateArgs) -> anyhow::Result<()> {
    let mut config = mpc_mediator::MediatorConfig::local(PathBuf::new());
    config.data_dir.clone_from(&args.data_dir);
    config.database_url.clone_from(&args.database_url);
    let token =
        crate::context::block_on(mpc_mediator::tokens::create(&config, &args.label, args.uses, args.valid_for))??;
    if args.output.json {
        return crate::output::print_json(
            &json!({ "token": token.token, "label": token.label, "uses": token.uses, "expires_time": token.expires_at }),
        );
    }
    println!("{}", token.token);
    eprintln!(
        "good for {} enrollment(s) until {} (shown once; only its hash is stored)",
        token.uses,
        humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(token.expires_at))
    );
    eprintln!("the party enrolls with:  mpc-id mediator enroll --name NAME --token {}", token.token);
    Ok(())
}

pub fn send(keystore: &Keystore, args: &SendArgs) -> anyhow::Result<()> {
    let me = crate::context::unlock(keystore, &args.identity.name)?;
    let message = match serde_json::from_str::<Value>(&args.message) {
        Ok(Value::Object(mut message)) if message.contains_key("type") => {
            message.entry("id").or_insert_with(|| json!(uuid::Uuid::new_v4().to_string()));
            message.insert("from".into(), json!(me.record.did));
            message.entry("body").or_insert_with(|| json!({}));
            Value::Object(message)
        }
        _ => client::new_message(BASIC_MESSAGE, &me.record.did, json!({ "content": args.message })),
    };
    let mut message = message;
    message["to"] = json!([args.to]);
    crate::context::block_on(client::send(&me, &args.to, &message))??;
    if args.output.json {
        return crate::output::print_json(&json!({ "id": message["id"], "to": args.to }));
    }
    println!("sent {} to {}", message["id"].as_str().unwrap_or_default(), crate::output::abbreviate_did(&args.to));
    Ok(())
}

pub fn inbox(keystore: &Keystore, args: &InboxArgs) -> anyhow::Result<()> {
    let me = crate::context::unlock(keystore, &args.identity.name)?;
    crate::context::block_on(async {
        let mediator = mediator_of(&me, None).await?;
        if args.watch {
            // Live: first what is queued (asked for in batches), then each message as it arrives.
            let mut live = mediator.live(&me).await?;
            // Said once the connection is up, so the user (and a script) knows it is listening.
            eprintln!(
                "watching the inbox of {} ({}) live; Ctrl-C stops",
                mpc_identity::text::shown(&me.record.name),
                crate::output::abbreviate_did(&me.record.did)
            );
            loop {
                let received = not_for_sessions(live.next(&me).await?);
                for message in &received {
                    show(message, args.json)?;
                    // A watching inbox answers trust pings, so peers can check it is reachable.
                    if let Err(e) = mpc_client::ping::answer_ping(&me, &message.message).await {
                        tracing::warn!(error = %e, "could not answer a ping");
                    }
                }
                if !args.keep {
                    let ids: Vec<String> = received.iter().map(|m| m.id.clone()).collect();
                    live.acknowledge(&me, &ids).await?;
                }
            }
        }
        // Page by page until the queue is read or a bound is reached: junk anyone forwards is
        // discarded as it comes, so it cannot hide what peers sent behind the first page.
        let (mut shown, mut discarded, mut cursor) = (0usize, 0usize, None);
        for _ in 0..INBOX_MAX_PAGES {
            let page = mediator.pickup_page(&me, 100, cursor).await?;
            discarded += page.discarded;
            let received = not_for_sessions(page.received);
            for message in &received {
                show(message, args.json)?;
            }
            shown += received.len();
            if !args.keep && !received.is_empty() {
                let ids: Vec<String> = received.iter().map(|m| m.id.clone()).collect();
                mediator.acknowledge(&me, &ids).await?;
            }
            if !page.full || page.cursor.is_none() {
                break;
            }
            cursor = page.cursor;
        }
        if shown == 0 && !args.json {
            println!("no messages");
        }
        if discarded > 0 {
            eprintln!(
                "discarded {discarded} waiting message(s) that could not be opened (junk, or sealed to keys you no longer have)"
            );
        }
        anyhow::Ok(())
    })?
}

/// How many pages of 100 one `mpc-id inbox` reads at most.
const INBOX_MAX_PAGES: usize = 100;

/// Session (lobby) messages stay queued for `mpc-id session` and `mpc-id run`, which act on them.
fn not_for_sessions(received: Vec<client::Received>) -> Vec<client::Received> {
    received.into_iter().filter(|m| !mpc_session::messages::is_lobby_message(m)).collect()
}

fn show(received: &client::Received, json: bool) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string(
                &json!({ "id": received.id, "sender_kid": received.sender_kid, "message": received.message })
            )?
        );
        return Ok(());
    }
    let message = &received.message;
    let from = message["from"].as_str().map_or_else(
        || "(anonymous)".to_owned(),
        |did| mpc_identity::text::shown(&crate::output::abbreviate_did(did)).into_owned(),
    );
    let kind = message["type"].as_str().unwrap_or("?");
    match message["body"]["content"].as_str() {
        Some(content) if kind == BASIC_MESSAGE => println!("{from}: {}", mpc_identity::text::shown(content)),
        _ => println!("{from}: {} {}", mpc_identity::text::shown(kind), message["body"]),
    }
    Ok(())
}

pub fn ping(keystore: &Keystore, args: &PingArgs) -> anyhow::Result<()> {
    let me = crate::context::unlock(keystore, &args.identity.name)?;
    crate::context::block_on(async {
        let mediator = mediator_of(&me, None).await?;
        let started = Instant::now();
        let Some(peer) = &args.did else {
            mediator.ping(&me).await?;
            return report_ping("mediator ", &mediator.did, started.elapsed(), args.output.json);
        };
        match mpc_client::ping::ping_peer(&me, &mediator, peer, args.timeout).await? {
            Some(round_trip) => report_ping("", peer, round_trip, args.output.json),
            None => bail!(
                "{peer} did not answer within {} s (it answers while it runs `mpc-id inbox --watch`)",
                args.timeout.as_secs()
            ),
        }
    })?
}

fn report_ping(what: &str, did: &str, round_trip: Duration, json: bool) -> anyhow::Result<()> {
    if json {
        return crate::output::print_json(&json!({ "did": did, "round_trip_ms": round_trip.as_secs_f64() * 1000.0 }));
    }
    println!("{what}{} answered in {} ms", crate::output::abbreviate_did(did), round_trip.as_millis());
    Ok(())
}
