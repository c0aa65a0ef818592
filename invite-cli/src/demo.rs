//! `mpc-id demo`: the whole flow on one machine, step by step, in throwaway keystores: a mediator
//! on loopback with SQLite, three parties that enroll with it, a session behind a signed short
//! link, a forged copy refused, joins and a signed manifest, and an MPyC computation (a program
//! that ships with mpc-id) run by all three through encrypted tunnels.

use std::time::Duration;

use crate::qr::InvitationQr;
use anyhow::{Context, bail};
use mpc_client::mediator::MediatorClient;
use mpc_client::resolver::Resolver;
use mpc_identity::invitation::SignedInvitation;
use mpc_identity::keystore::{DidMethod, Keystore, UnlockedIdentity};
use mpc_identity::unix_now;
use mpc_session::lobby::{self, CreateOptions};
use mpc_session::run::{self, Progress, RunOptions};
use mpc_session::store::SessionStore;

use crate::cli::DemoArgs;

/// The program the demo runs: many rounds of secure comparisons between three parties.
const PROGRAM: &str = include_str!("../../programs/secure_ranking.py");
const PROGRAM_NAME: &str = "secure_ranking.py";
const NAMES: [&str; 3] = ["alice", "bob", "carol"];

pub fn demo(args: &DemoArgs) -> anyhow::Result<()> {
    crate::context::runtime(crate::context::Threads::PerCore)?.block_on(run_demo(args))
}

/// One party of the demo: its keystore, identity and sessions.
struct Party {
    me: UnlockedIdentity,
    store: SessionStore,
}

async fn run_demo(args: &DemoArgs) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("creating a scratch directory")?;
    let homes = args.keep.clone().unwrap_or_else(|| scratch.path().join("keystores"));
    // Throwaway identities: a random passphrase that nobody needs to know.
    let passphrase = uuid::Uuid::new_v4().to_string();
    let python = match &args.python {
        Some(python) => python.clone(),
        None => {
            let home =
                Keystore::default_home().context("no data directory for mpc-id's own Python; set MPC_ID_HOME")?;
            crate::python::default_python(&home, None).await?
        }
    };
    let mpyc_version = mpc_session::mpyc::version(&python)
        .await
        .context("the demo runs MPyC; give a Python that has it with --python or MPC_ID_PYTHON")?;
    let program = scratch.path().join(PROGRAM_NAME);
    std::fs::write(&program, PROGRAM).context("writing the demo program")?;

    step(1, "a mediator starts on loopback, with SQLite");
    let config = mpc_mediator::MediatorConfig::local(scratch.path().join("mediator"));
    let mediator = mpc_mediator::start(config).await?;
    let url = format!("http://{}", mediator.address);
    println!("   {url}  {}", crate::output::abbreviate_did(mediator.did()));

    step(2, "alice, bob and carol create identities that route through it, each in a keystore of their own");
    let client = MediatorClient::connect(&url).await?;
    let mut parties = Vec::new();
    for name in NAMES {
        let keystore = Keystore::open(homes.join(name))?;
        let me = keystore.create(name, DidMethod::Peer, Some(client.routing_endpoint()), &passphrase)?;
        client.enroll(&me).await?;
        println!("   {name:<6} {}", crate::output::abbreviate_did(&me.record.did));
        parties.push(Party { me, store: SessionStore::open(&homes.join(name)) });
    }
    let resolver = Resolver::new(None);

    step(3, "alice creates a session for three parties running secure_ranking.py, behind a signed short link");
    let options = CreateOptions {
        name: "demo".to_owned(),
        parties: 3,
        program: Some(program.clone()),
        args: Vec::new(),
        ttl: Duration::from_secs(3600),
        order: None,
        confirm: false,
        mpyc_ssl: false,
        mpyc_version,
        label: Some("alice".to_owned()),
        share_program: false,
        roles: Vec::new(),
        my_role: None,
        requirements: Vec::new(),
    };
    let session = lobby::create(&parties[0].me, &parties[0].store, options).await?;
    let short = session.invitation_url.clone().unwrap_or_default();
    let qr = InvitationQr::new(&short)?;
    println!("   {short}");
    println!("   QR version {}, level {}: fits a terminal and scans from a screen", qr.version(), qr.level());

    step(4, "mallory re-signs the invitation with her own key and passes it off as alice's");
    refuse_forgery(&session.invitation, &parties[0].me.record.signing_kid())?;

    step(5, "bob and carol fetch the invitation, verify it against alice's DID, and ask to join");
    for party in &parties[1..] {
        let options = mpc_session::joining::JoinOptions {
            program: Some(program.clone()),
            label: Some(party.me.record.name.clone()),
            ..Default::default()
        };
        let home = homes.join(&party.me.record.name);
        let record = mpc_session::joining::join(&party.me, &party.store, &resolver, &home, &short, options).await?;
        println!(
            "   {:<6} verified it (signed by {}) and sent a signed join request",
            party.me.record.name,
            crate::output::abbreviate_did(&record.host)
        );
    }

    step(6, "alice admits them in join order and signs the manifest; they verify it");
    for party in &parties {
        let record = lobby::wait_until_ready(
            &party.me,
            &party.store,
            &resolver,
            &session.id,
            None,
            Duration::from_secs(30),
            |_| {},
        )
        .await?;
        let manifest = lobby::manifest_of(&party.me, &resolver, &record).await?;
        let index = manifest.entry_of(&party.me.record.did).map(|e| e.index).unwrap_or_default();
        println!(
            "   {:<6} party {index}: host's signature, own entry and program sha256 {}... check out",
            party.me.record.name,
            &manifest.program.sha256[..12]
        );
    }

    step(7, "all three connect (end-to-end encrypted, by DID) and run MPyC through local forwarders");
    let command = [python, program.display().to_string()];
    let codes = run_all(&parties, &resolver, &session.id, &command).await?;
    if codes.iter().any(|c| *c != 0) {
        bail!("a party's program failed: exit codes {codes:?}");
    }
    println!("   every party's program exited 0");

    mediator.stop().await?;
    println!();
    match &args.keep {
        Some(home) => println!("The keystores are in {}.", home.display()),
        None => println!(
            "Done; the scratch keystores and mediator are removed. Next: `mpc-id new` for an identity of your own."
        ),
    }
    Ok(())
}

fn refuse_forgery(invitation_json: &str, alice_kid: &str) -> anyhow::Result<()> {
    // Mallory keeps alice's invitation and key id but signs with a key of her own.
    let genuine = SignedInvitation::parse(invitation_json)?.verify(unix_now())?;
    let mallory = mpc_identity::keys::PartyKeys::generate()?;
    let forged = genuine.sign(&mallory, alice_kid)?;
    match SignedInvitation::parse(&forged.to_json())?.verify(unix_now()) {
        Ok(_) => bail!("a forged invitation verified; this is a bug"),
        Err(mpc_identity::Error::BadSignature { .. }) => {
            println!("   refused: bad signature, not made by the key of the DID it names");
        }
        Err(err) => println!("   refused: {err}"),
    }
    Ok(())
}

/// The three runs at once, as three machines would; alice's program output is shown.
async fn run_all(
    parties: &[Party],
    resolver: &Resolver,
    session: &str,
    command: &[String],
) -> anyhow::Result<[i32; 3]> {
    let (a, b, c) = tokio::join!(
        run_one(&parties[0], resolver, session, command),
        run_one(&parties[1], resolver, session, command),
        run_one(&parties[2], resolver, session, command),
    );
    Ok([a?, b?, c?])
}

async fn run_one(party: &Party, resolver: &Resolver, session: &str, command: &[String]) -> anyhow::Result<i32> {
    let record = party.store.find(session)?;
    let installed_mpyc = mpc_session::mpyc::VersionCheck::start(run::interpreter_of(command));
    let plan = run::plan(&party.me, resolver, &record, command, installed_mpyc).await?;
    let name = party.me.record.name.clone();
    let first = plan.me == 0;
    let options = RunOptions { show_output: first, launcher: crate::bound_child::launcher(), ..RunOptions::default() };
    let code = run::execute(&party.me, &party.store, resolver, &plan, &options, |progress| match progress {
        Progress::Connected { index, path, .. } => {
            let how = path.map_or("connecting", |p| if p.direct { "direct" } else { "relayed" });
            println!("   {name:<6} connected to party {index} ({how})");
        }
        Progress::AllConnected { elapsed } => {
            println!("   {name:<6} all parties connected in {:.2} s", elapsed.as_secs_f64());
        }
        Progress::Launching { .. } if first => println!("   {name}'s program says:"),
        _ => {}
    })
    .await?;
    Ok(code)
}

fn step(n: u32, text: &str) {
    println!("{n}. {text}");
}
