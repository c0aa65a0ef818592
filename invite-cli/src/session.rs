//! `mpc-id session ...`: the lobby, presented (`mpc-id run` is `run.rs`). The work is in the
//! `mpc-session` crate.

use anyhow::{Context, bail};
use mpc_client::resolver::Resolver;
use mpc_identity::keystore::{Keystore, UnlockedIdentity};
use mpc_identity::text::shown;
use mpc_session::joining::{JoinOptions, Joining};
use mpc_session::lobby::{self, CreateOptions};
use mpc_session::manifest::who;
use mpc_session::mpyc::{self, PortLayout};
use mpc_session::store::{MemberStatus, Role, SessionRecord, SessionState, SessionStore};
use serde_json::json;

use crate::cli::{
    ExportFormat, SessionCommand, SessionCreateArgs, SessionExportArgs, SessionJoinArgs, SessionRefArgs,
    SessionRefuseArgs, SessionStatusArgs,
};
use crate::output::{abbreviate_did, format_time, shell_words};

pub fn command(keystore: &Keystore, command: &SessionCommand) -> anyhow::Result<()> {
    match command {
        SessionCommand::Create(args) => create(keystore, args),
        SessionCommand::Join(args) => join(keystore, args),
        SessionCommand::Status(args) => status(keystore, args),
        SessionCommand::Admit(args) => decide(keystore, &args.identity.name, &args.session, &args.did, None),
        SessionCommand::Refuse(SessionRefuseArgs { identity, session, did, reason }) => {
            decide(keystore, &identity.name, session, did, Some(reason.clone()))
        }
        SessionCommand::Leave(args) => leave(keystore, args),
        SessionCommand::Export(args) => export(keystore, args),
    }
}

/// The party acting: its unlocked identity, its sessions, its resolver (with its peer book).
pub(crate) struct Party {
    pub(crate) me: UnlockedIdentity,
    pub(crate) store: SessionStore,
    pub(crate) resolver: Resolver,
}

pub(crate) fn open(keystore: &Keystore, name: &str) -> anyhow::Result<Party> {
    let me = crate::context::unlock(keystore, name)?;
    Ok(Party { me, store: SessionStore::open(keystore.home()), resolver: crate::context::resolver(keystore) })
}

/// One thread (see [`crate::context::Threads::One`]).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    crate::context::runtime(crate::context::Threads::One)
}

fn create(keystore: &Keystore, args: &SessionCreateArgs) -> anyhow::Result<()> {
    let cx = open(keystore, &args.identity)?;
    let record = runtime()?.block_on(async {
        let python = match &args.python {
            Some(python) => python.clone(),
            None => crate::python::default_python(keystore.home(), None).await?,
        };
        let mpyc_version = mpyc::version(&python).await?;
        let options = CreateOptions {
            name: args.name.clone(),
            parties: args.parties,
            program: args.program.clone(),
            args: args.args.clone(),
            ttl: args.expires,
            order: args.order.clone(),
            confirm: args.confirm,
            mpyc_ssl: args.mpyc_ssl,
            mpyc_version,
            label: label_or_name(&args.label, &cx.me),
            share_program: args.share_program,
            roles: args
                .roles
                .iter()
                .map(|(name, program)| lobby::RoleOption {
                    name: name.clone(),
                    program: program.clone(),
                    args: args.role_args.iter().filter(|(n, _)| n == name).map(|(_, arg)| arg.clone()).collect(),
                })
                .collect(),
            my_role: args.my_role.clone(),
            requirements: requirements(args)?,
        };
        let mut record = lobby::create(&cx.me, &cx.store, options).await?;
        record.python = Some(python);
        cx.store.save(&record)?;
        anyhow::Ok(record)
    })?;
    let url = record.invitation_url.clone().unwrap_or_default();
    crate::invite::write_qr_images(&url, &args.qr)?;
    if args.json {
        return crate::output::print_json(&record_json(&record));
    }
    if args.url {
        println!("{url}");
        return Ok(());
    }
    let qr = crate::invite::show_qr(&url, &args.qr);
    println!(
        "Session `{}` ({}) for {} parties, valid until {}",
        shown(&record.offer.name),
        record.id,
        record.offer.parties,
        format_time(record.expires_time)
    );
    if let Some(sha) = &record.offer.program_sha256 {
        println!("  program  sha256 {sha}");
    }
    println!("  MPyC     {}{}", record.offer.mpyc_version, if record.offer.mpyc_ssl { " with --ssl" } else { "" });
    for role in &record.offer.roles {
        let args = if role.args.is_empty() { "no arguments".to_owned() } else { shell_words(&role.args) };
        println!(
            "  role     {}: {}  sha256 {}  {args}",
            shown(&role.name),
            shown(role.program_name.as_deref().unwrap_or("(program)")),
            &role.program_sha256[..16.min(role.program_sha256.len())]
        );
    }
    for line in qr {
        println!("  {line}");
    }
    println!("  url      {url}");
    if !record.offer.roles.is_empty() {
        println!();
        println!("Parties join as one of the roles:");
        for role in &record.offer.roles {
            println!(
                "  mpc-id session join '{url}' --role {} --program {}",
                shown(&role.name),
                shown(role.program_name.as_deref().unwrap_or("PROGRAM"))
            );
        }
    } else if let Some(shared) = &record.offer.program_url {
        println!("  shared   {shared}  (parties without the program fetch it from there at join)");
        println!();
        println!("Parties join with:  mpc-id session join '{url}'");
    } else {
        println!();
        println!("Parties join with:  mpc-id session join '{url}' --program PROGRAM");
    }
    println!("Then you run:       {}", run_hint(&cx.me.record.name, &record));
    Ok(())
}

/// Whether `word` (the first word after `--`) is an interpreter rather than a program or an
/// argument: a Python (`python3`, `/path/to/venv/bin/python`, `pypy3`).
pub(crate) fn names_an_interpreter(word: &str) -> bool {
    let name = std::path::Path::new(word).file_name().and_then(|n| n.to_str()).unwrap_or(word);
    name.starts_with("python") || name.starts_with("pypy")
}

/// The exact `mpc-id run` command for a stored session: the program and Python are remembered,
/// so only a session without a program needs them spelled out.
fn run_hint(identity: &str, record: &SessionRecord) -> String {
    let base = format!("mpc-id run -n {identity} {}", &record.id[..8]);
    match &record.program {
        Some(_) => base,
        None => format!("{base} -- {} PROGRAM", record.python.as_deref().unwrap_or("python3")),
    }
}

fn join(keystore: &Keystore, args: &SessionJoinArgs) -> anyhow::Result<()> {
    let cx = open(keystore, &args.identity.name)?;
    let invitation = crate::invite::read_input(&args.invitation)?;
    let runtime = runtime()?;
    let mut joining = runtime.block_on(Joining::preview(&cx.me, &cx.resolver, invitation.trim()))?;
    let offered = joining.offered();
    // What you agree to, before you agree: on standard error, so --json output stays clean.
    eprintln!("Session `{}` ({}), verified: signed by its host", shown(&offered.offer.name), offered.offer.session);
    for line in agreement_lines(&offered.offer, &offered.host, offered.expires_time) {
        eprintln!("  {line}");
    }
    // A session of roles needs one: the exact command for each, before anything is asked.
    if args.role.is_none() && !offered.offer.roles.is_empty() {
        let commands: Vec<String> = offered
            .offer
            .roles
            .iter()
            .map(|role| {
                // A role whose program the host shares needs none of the joiner's.
                let program = match &role.program_url {
                    Some(_) => String::new(),
                    None => format!(" --program {}", shown(role.program_name.as_deref().unwrap_or("PROGRAM"))),
                };
                format!(
                    "  mpc-id session join -n {} '{}' --role {}{program}",
                    cx.me.record.name,
                    shown(&args.invitation),
                    shown(&role.name),
                )
            })
            .collect();
        bail!("not joined: this session has roles; pick one with --role, as in\n{}", commands.join("\n"));
    }
    // The role, the credentials the session requires and a program the host shares (fetched
    // and checked now, shown, and saved only if the party joins): nothing fetched is ever run
    // without that consent.
    let options = JoinOptions {
        role: args.role.clone(),
        program: args.program.clone(),
        program_dir: args.program_dir.clone(),
        credentials: held_credentials(keystore, &cx.me.record.name, &args.credentials)?,
        label: label_or_name(&args.label, &cx.me),
    };
    runtime.block_on(joining.prepare(&cx.me, &cx.resolver, keystore.home(), options))?;
    if let Some(shared) = joining.shared_program() {
        eprintln!(
            "  the host shares its program ({} files, checked against the sha256 above):",
            shared.bundle.files.len()
        );
        for (file, _) in &shared.bundle.files {
            eprintln!("    {:>9} bytes  {}", file.size, shown(&file.path));
        }
        if args.show_program {
            for (file, content) in &shared.bundle.files {
                eprintln!("  ---- {} ({} bytes) ----", shown(&file.path), file.size);
                eprintln!("{}", program_text(content));
            }
            eprintln!("  ---- end of the shared program ----");
        } else {
            eprintln!("  (read it in full first: add --show-program)");
        }
        eprintln!("  joining saves it into {}/ ; it runs only when you run `mpc-id run`", shared.dir.display());
    }
    if !args.yes {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            bail!(
                "not joined: confirm what is shown above with --yes where no one can answer, as in\n  \
                 mpc-id session join -n {} '{}'{} --yes",
                cx.me.record.name,
                args.invitation,
                args.program.as_ref().map(|p| format!(" --program {}", p.display())).unwrap_or_default()
            );
        }
        eprint!("Join this session as {}? [y/N] ", abbreviate_did(&cx.me.record.did));
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).context("reading the answer")?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            bail!("not joined");
        }
    }
    // The Python is made ready now where it can be, so that `run` starts at once; where it
    // cannot (no package index reachable, say), joining goes on and `run` tries again.
    let mpyc_version = joining.offered().offer.mpyc_version.clone();
    let python = match &args.python {
        Some(python) => Some(python.clone()),
        None => match runtime.block_on(crate::python::default_python(keystore.home(), Some(&mpyc_version))) {
            Ok(python) => Some(python),
            Err(e) => {
                eprintln!(
                    "[mpc-id] MPyC {mpyc_version} could not be made ready now ({}); joining anyway: `mpc-id run` \
                     tries again, or give a Python that has it with --python",
                    shown(&format!("{e:#}"))
                );
                None
            }
        },
    };
    let saved = joining.shared_program().map(|shared| shared.dir.clone());
    let mut record = runtime.block_on(joining.join(&cx.me, &cx.store))?;
    if let Some(dir) = saved {
        eprintln!("Saved the session's program into {}/", dir.display());
    }
    record.python = python;
    cx.store.save(&record)?;
    if args.output.json {
        return crate::output::print_json(&record_json(&record));
    }
    println!("Asked to join session `{}` ({})", shown(&record.offer.name), record.id);
    println!();
    println!(
        "The host's answer arrives through your mediator: `mpc-id session status -n {} {}`.",
        cx.me.record.name,
        &record.id[..8]
    );
    println!("When it is full:  {}", run_hint(&cx.me.record.name, &record));
    Ok(())
}

/// A shared program's file as text to read: UTF-8 with its line breaks and tabs kept and every
/// other character a terminal must not see escaped; anything else is not shown.
fn program_text(content: &[u8]) -> String {
    match std::str::from_utf8(content) {
        Ok(text) => text
            .split('\n')
            .map(|line| line.split('\t').map(|part| shown(part).into_owned()).collect::<Vec<_>>().join("\t"))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(_) => format!("(not UTF-8 text: {} bytes not shown)", content.len()),
    }
}

/// What a party agrees to by joining: the program, its arguments, MPyC, the parties, the expiry.
fn agreement_lines(offer: &mpc_session::messages::SessionOffer, host: &str, expires: u64) -> Vec<String> {
    let program = match (&offer.program_name, &offer.program_sha256) {
        (Some(name), Some(sha)) => format!("{}  sha256 {sha}", shown(name)),
        (None, Some(sha)) => format!("sha256 {sha}"),
        _ => "not fixed by the host (each party's must match the manifest)".to_owned(),
    };
    let args = if offer.args.is_empty() { "none".to_owned() } else { shell_words(&offer.args) };
    let mut lines = vec![format!("host       {}", abbreviate_did(host))];
    if offer.roles.is_empty() {
        lines.push(format!("program    {program}"));
        lines.push(format!("arguments  {args}  (everyone's; yours go after the program on `mpc-id run`)"));
    }
    for role in &offer.roles {
        let args = if role.args.is_empty() { "no arguments".to_owned() } else { shell_words(&role.args) };
        lines.push(format!(
            "role       {}: {}  sha256 {}  {args}",
            shown(&role.name),
            shown(role.program_name.as_deref().unwrap_or("(program)")),
            shown(&role.program_sha256)
        ));
    }
    for requirement in &offer.requirements {
        lines.push(format!("requires   {}", shown(&requirement.to_string())));
    }
    lines.extend([
        format!("MPyC       {}{}", offer.mpyc_version, if offer.mpyc_ssl { " with its own TLS (--ssl)" } else { "" }),
        format!("parties    {}", offer.parties),
        format!("expires    {}", format_time(expires)),
    ]);
    lines
}

fn status(keystore: &Keystore, args: &SessionStatusArgs) -> anyhow::Result<()> {
    let cx = open(keystore, &args.identity.name)?;
    let runtime = runtime()?;
    // News first; without a mediator (offline, or it is down) the local record is still the
    // truth this machine has, shown with what could not be refreshed.
    if let Err(e) = runtime.block_on(lobby::sync(&cx.me, &cx.store, &cx.resolver)) {
        eprintln!(
            "[mpc-id] could not refresh from the mediator ({}): showing what this machine knows",
            shown(&format!("{e:#}"))
        );
    }
    let records: Vec<SessionRecord> = match &args.session {
        Some(query) => vec![cx.store.find(query)?],
        None => cx.store.list()?.into_iter().filter(|r| r.me == cx.me.record.did).collect(),
    };
    // A guest learns the parties from the signed manifest, verified again here with every
    // party's proofs (domains fetched, credentials' status lists read): what no longer holds is
    // said, not shown as verified.
    let (manifests, problems): (Vec<_>, Vec<_>) = records
        .iter()
        .map(|record| match (&record.role, &record.manifest) {
            (Role::Guest, Some(_)) => match runtime.block_on(lobby::manifest_of(&cx.me, &cx.resolver, record)) {
                Ok(manifest) => (Some(manifest), None),
                Err(e) => (None, Some(format!("the manifest no longer verifies: {e}"))),
            },
            _ => (None, None),
        })
        .unzip();
    if args.output.json {
        let sessions: Vec<serde_json::Value> = records
            .iter()
            .zip(&manifests)
            .zip(&problems)
            .map(|((record, manifest), problem)| {
                let mut json = status_json(record, manifest.as_ref());
                if let Some(problem) = problem {
                    json["manifest_problem"] = json!(problem);
                }
                json
            })
            .collect();
        return crate::output::print_json(&sessions);
    }
    if records.is_empty() {
        println!("no sessions (create one with `mpc-id session create`, or join one)");
    }
    for ((record, manifest), problem) in records.iter().zip(&manifests).zip(&problems) {
        show(record, manifest.as_ref());
        if let Some(problem) = problem {
            println!("  problem  {}", shown(problem));
        }
    }
    Ok(())
}

fn show(record: &SessionRecord, manifest: Option<&mpc_session::manifest::Manifest>) {
    let role = if record.role == Role::Host { "host" } else { "guest" };
    println!("Session `{}` ({}), you are the {role}", shown(&record.offer.name), record.id);
    let state = match &record.state {
        SessionState::Open if record.role == Role::Host => {
            format!("gathering parties: {} of {} admitted", record.admitted().count(), record.offer.parties)
        }
        SessionState::Open => "waiting for the host to answer".to_owned(),
        SessionState::Admitted { index: Some(i) } => format!("admitted as party {i}; waiting for the others"),
        SessionState::Admitted { index: None } => "admitted; waiting for the others".to_owned(),
        SessionState::Refused { reason } => format!("refused: {}", shown(reason)),
        SessionState::Ready => "ready: the manifest is signed; `mpc-id run` it".to_owned(),
        SessionState::Closed { reason } => format!("closed ({})", shown(reason)),
    };
    println!("  state    {state}");
    for line in agreement_lines(&record.offer, &record.host, record.expires_time) {
        println!("  {line}");
    }
    if let Some(problem) = &record.problem {
        println!("  problem  {}", shown(problem));
    }
    for member in &record.members {
        let status = match &member.status {
            MemberStatus::Pending => "asked to join; admit or refuse".to_owned(),
            MemberStatus::Admitted => "admitted".to_owned(),
            MemberStatus::Refused { reason } => format!("refused: {}", shown(reason)),
            MemberStatus::Left => "left".to_owned(),
        };
        println!("  party    {}  {status}", who(member.label.as_deref(), &member.did));
        for line in mpc_session::proofs::proven(member.presentation.as_ref(), &member.domains) {
            println!("           verified: {line}");
        }
    }
    for party in manifest.map(|m| m.parties.as_slice()).unwrap_or_default() {
        let you = if party.did == record.me { "  (you)" } else { "" };
        println!("  party {}  {}{you}", party.index, who(party.label.as_deref(), &party.did));
        // What it proved, verified, apart from the label it gave itself.
        for line in mpc_session::proofs::proven(party.presentation.as_ref(), &party.domains) {
            println!("           verified: {line}");
        }
    }
}

/// The label a party gives itself: `--label`, else its identity's name (unless that is the
/// unnamed `default`, which tells the others nothing).
fn label_or_name(label: &Option<String>, me: &UnlockedIdentity) -> Option<String> {
    label.clone().or_else(|| (me.record.name != crate::cli::DEFAULT_IDENTITY).then(|| me.record.name.clone()))
}

/// A session for tools: the record, and for each party what it proved (credentials with their
/// issuer DIDs, domains), apart from the label it gave itself.
fn status_json(record: &SessionRecord, manifest: Option<&mpc_session::manifest::Manifest>) -> serde_json::Value {
    let mut value = record_json(record);
    let proofs = |presentation: Option<&serde_json::Value>, domains: &[String]| json!({ "credentials": mpc_session::proofs::presented(presentation), "domains": domains });
    if let Some(members) = value["members"].as_array_mut() {
        for (json, member) in members.iter_mut().zip(&record.members) {
            json["verified"] = proofs(member.presentation.as_ref(), &member.domains);
        }
    }
    if let Some(manifest) = manifest {
        value["parties"] = manifest
            .parties
            .iter()
            .map(|p| {
                json!({
                    "index": p.index,
                    "did": p.did,
                    "label": p.label,
                    "verified": proofs(p.presentation.as_ref(), &p.domains),
                })
            })
            .collect();
    }
    value
}

fn record_json(record: &SessionRecord) -> serde_json::Value {
    json!({
        "id": record.id,
        "name": record.offer.name,
        "role": record.role,
        "state": record.state,
        "host": record.host,
        "parties": record.offer.parties,
        "expires_time": record.expires_time,
        "invitation_url": record.invitation_url,
        "members": record.members.iter().map(|m| json!({ "did": m.did, "label": m.label, "status": m.status })).collect::<Vec<_>>(),
        "manifest": record.manifest.as_deref().and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok()),
        "problem": record.problem,
    })
}

fn decide(keystore: &Keystore, name: &str, session: &str, did: &str, refuse: Option<String>) -> anyhow::Result<()> {
    let cx = open(keystore, name)?;
    let admitted = refuse.is_none();
    runtime()?.block_on(async {
        lobby::sync(&cx.me, &cx.store, &cx.resolver).await?;
        let mut record = cx.store.find(session)?;
        lobby::decide(&cx.me, &cx.store, &mut record, did, refuse).await?;
        // A full session gets its manifest now.
        lobby::sync(&cx.me, &cx.store, &cx.resolver).await
    })?;
    println!("{} {}", if admitted { "admitted" } else { "refused" }, abbreviate_did(did));
    Ok(())
}

fn leave(keystore: &Keystore, args: &SessionRefArgs) -> anyhow::Result<()> {
    let cx = open(keystore, &args.identity.name)?;
    let record = runtime()?.block_on(async {
        // Read the lobby first: once the manifest is in, every party is told, not just the host.
        if let Err(e) = lobby::sync(&cx.me, &cx.store, &cx.resolver).await {
            tracing::warn!(error = %e, "could not read the lobby; telling whom this party knows of");
        }
        let mut record = cx.store.find(&args.session)?;
        lobby::leave(&cx.me, &cx.store, &cx.resolver, &mut record).await?;
        anyhow::Ok(record)
    })?;
    println!("left session `{}` ({})", shown(&record.offer.name), record.id);
    Ok(())
}

fn export(keystore: &Keystore, args: &SessionExportArgs) -> anyhow::Result<()> {
    let cx = open(keystore, &args.identity.name)?;
    let record = cx.store.find(&args.session)?;
    let manifest = runtime()?.block_on(lobby::manifest_of(&cx.me, &cx.resolver, &record))?;
    let me = manifest.entry_of(&cx.me.record.did).map(|e| e.index).unwrap_or_default();
    let layout = PortLayout::fixed(me, manifest.parties.len(), args.base_port);
    match args.format {
        ExportFormat::Args => println!("{}", layout.args().join(" ")),
        ExportFormat::Ini => {
            println!(
                "; MPyC parties of session `{}` ({}); you are party {me}.",
                shown(&manifest.name),
                manifest.session
            );
            println!("; Ports on 127.0.0.1 reach the other parties through these tunnels:");
            let lower: Vec<&str> = manifest.parties[..me].iter().map(|p| p.did.as_str()).collect();
            if !lower.is_empty() {
                println!(
                    ";   mpc-id tunnel listen --to 127.0.0.1:{} --allow {}",
                    layout.own_port,
                    lower.join(" --allow ")
                );
            }
            for (index, port) in &layout.forwarders {
                println!(";   mpc-id tunnel connect {} --local 127.0.0.1:{port}", manifest.parties[*index].did);
            }
            print!("{}", layout.ini());
        }
    }
    Ok(())
}

/// The proofs `session create` asks of the parties.
fn requirements(args: &crate::cli::SessionCreateArgs) -> anyhow::Result<Vec<mpc_session::messages::Requirement>> {
    let credentials = args.require_credentials.iter().map(|text| mpc_session::proofs::credential_requirement(text));
    let domains = args.require_domains.iter().map(|text| mpc_session::proofs::domain_requirement(text));
    Ok(credentials.chain(domains).collect::<Result<Vec<_>, _>>()?)
}

/// The credentials a joiner may present: the files it names, else all its keystore holds.
fn held_credentials(
    keystore: &Keystore,
    name: &str,
    files: &[std::path::PathBuf],
) -> anyhow::Result<Vec<serde_json::Value>> {
    if files.is_empty() {
        return Ok(keystore.credentials(name)?.into_iter().filter_map(|(_, credential)| credential.ok()).collect());
    }
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
            Ok(mpc_identity::credential::parse(&text)?)
        })
        .collect()
}
