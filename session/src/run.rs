//! `mpc-id run`: from a ready session to an executed MPyC program.
//!
//! [`plan`] checks everything that can be checked before any connection: the manifest (again),
//! this party's program against the manifest's hash, its arguments, its MPyC version, and every
//! peer's DID against the endpoint id the manifest lists. [`execute`] then connects the mesh,
//! opens a local forwarder for every higher-indexed peer, launches MPyC with arguments that point
//! at the forwarders (it waits for its peers by itself, meanwhile), waits until every peer is
//! connected, and watches: if a peer vanishes or
//! its program fails, this party's program is stopped and the run fails naming that peer, where
//! MPyC by itself would wait forever.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mpc_client::resolver::Resolver;
use mpc_connect::mesh::{Mesh, MeshEvent, MeshOptions, MeshPeer};
use mpc_connect::{
    Allowlist, EndpointAddr, EndpointId, LocalAddr, Locate, PathReport, PeerEndpoint, RelayDiscovery, RelayUrl, peer,
};
use mpc_identity::keystore::UnlockedIdentity;

use crate::error::{Error, Result};
use crate::manifest::{Manifest, check_program_is};
use crate::mpyc::{self, PortLayout};
use crate::store::{SessionRecord, SessionState, SessionStore};
use mpc_identity::hex;

use direct::{DirectIdentity, DirectPlan, direct_port};
use launch::{Go, Launched, private_run_dir, start_launcher};

mod direct;
mod launch;

/// How a run behaves.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// How long to wait for the manifest and for every peer to connect.
    pub startup_timeout: Duration,
    /// Heartbeats and deadlines of the mesh.
    pub mesh: MeshOptions,
    /// Fixed ports `base + i` instead of free ones (for firewalls and for reproducible commands).
    pub base_port: Option<u16>,
    /// Send only through the relay (networks without UDP; measuring the relayed path).
    pub relay_only: bool,
    /// How long a party whose program ended waits for the others to end theirs.
    pub linger: Duration,
    /// Pass the program's output through (otherwise it is discarded).
    pub show_output: bool,
    /// A command the program is started through, its command line appended (`mpc-id` passes one
    /// that ties the program's life to its own); empty to start the program directly.
    pub launcher: Vec<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            startup_timeout: Duration::from_secs(120),
            mesh: MeshOptions::default(),
            base_port: None,
            relay_only: false,
            linger: Duration::from_secs(10),
            show_output: true,
            launcher: Vec::new(),
        }
    }
}

/// What a run reports as it goes, for a progress display.
#[derive(Clone, Debug)]
// Variant fields are named for what they hold; the variant docs say what they mean.
#[allow(missing_docs)]
pub enum Progress {
    /// A peer's connection is up, over this path.
    Connected { index: usize, did: String, path: Option<PathReport> },
    /// Still waiting for these parties.
    Waiting { missing: Vec<usize> },
    /// Every peer is connected, this long after the mesh started.
    AllConnected { elapsed: Duration },
    /// How this party's program reaches the higher-indexed parties it dials: `direct` ones on a
    /// TLS connection of its own, `tunnelled` ones through mpc-id's tunnel (see `run/direct.rs`).
    ProgramPaths { direct: Vec<usize>, tunnelled: Vec<usize> },
    /// The program starts with this command line; `command` leaves out this party's own arguments (`private_args` of
    /// them), which are not for logs.
    Launching { command: Vec<String>, private_args: usize },
    /// A peer's program ended well.
    PeerFinished { index: usize },
    /// This party's own program ended: its exit status, or the signal that killed it, and the
    /// Python module it could not import (from a `ModuleNotFoundError` on its standard error),
    /// if that is why; the module name is checked to be a dotted Python name.
    ProgramEnded { code: Option<i32>, signal: Option<i32>, missing_module: Option<String> },
    /// The path to a peer changed (relayed to direct when hole punching succeeds, or back), this
    /// long after the mesh started.
    PathChanged { index: usize, path: PathReport, elapsed: Duration },
}

/// Everything decided before connecting.
#[derive(Clone, Debug)]
pub struct RunPlan {
    /// The session id.
    pub session: String,
    /// The verified manifest.
    pub manifest: Manifest,
    /// This party's index.
    pub me: usize,
    /// The interpreter and its options, e.g. `["python3", "-u"]`.
    pub interpreter: Vec<String>,
    /// The program to run.
    pub program: PathBuf,
    /// This party's own arguments (its private inputs): given after the program on `run`'s
    /// command line, passed after the session's, never sent to anyone or stored.
    pub private_args: Vec<String>,
    /// Every other party: index, DID and how to dial it.
    pub peers: Vec<(usize, String, EndpointAddr)>,
    /// Why this party cannot run (its program changed, its MPyC is missing or another version):
    /// `execute` tells the peers, then fails with it.
    pub refusal: Option<String>,
}

impl RunPlan {
    /// Checks a party's own wish for MPyC's TLS (`--mpyc-ssl`) against the manifest: TLS is
    /// agreed for a whole session when it is created, so asking for it in a session without it
    /// is refused rather than ignored.
    pub fn check_tls_wish(&self, wants_tls: bool) -> Result<()> {
        if wants_tls && !self.manifest.mpyc.ssl {
            return Err(Error::MpycTlsNotAgreed { session: self.session.clone() });
        }
        Ok(())
    }

    /// The full command line for a port layout, with MPyC's arguments and the session's;
    /// `launcher` goes between the interpreter and the program (see [`mpyc::write_launcher`]).
    pub fn command(&self, layout: &PortLayout, launcher: &[String]) -> Vec<String> {
        let mut command = self.interpreter.clone();
        command.extend(launcher.iter().cloned());
        command.push(self.program.display().to_string());
        command.extend(layout.args());
        if self.manifest.mpyc.ssl {
            command.push("--ssl".to_owned());
        }
        // This party's arguments: its role's, in a session with roles.
        command.extend(self.manifest.program_of(&self.did_of(self.me)).1.iter().cloned());
        command.extend(self.private_args.iter().cloned());
        command
    }

    fn did_of(&self, index: usize) -> String {
        self.manifest.parties.get(index).map(|p| p.did.clone()).unwrap_or_default()
    }

    /// The label party `index` gave itself, if it gave one.
    pub fn label_of(&self, index: usize) -> Option<&str> {
        self.manifest.parties.get(index).and_then(|p| p.label.as_deref())
    }

    /// Party `index` as errors name it: its label and abbreviated DID (people read them).
    fn who(&self, index: usize) -> String {
        crate::manifest::who(self.label_of(index), &self.did_of(index))
    }
}

/// Checks the session and this party's command before anything connects. `command` is the
/// interpreter, its options, the program and (optionally) this party's own arguments, which go
/// to the program after the session's and nowhere else; empty means `python3` and the program
/// named at create or join.
///
/// `installed_mpyc` is the check of the program's interpreter (see [`interpreter_of`]), started
/// early by the caller; a check of another interpreter is made again.
pub async fn plan(
    me: &UnlockedIdentity,
    resolver: &Resolver,
    record: &crate::store::SessionRecord,
    command: &[String],
    installed_mpyc: mpyc::VersionCheck,
) -> Result<RunPlan> {
    let manifest = crate::lobby::manifest_of(me, resolver, record).await?;
    let (interpreter, program, private_args) = split_command(command, record.program.as_ref())?;
    // What is wrong here (not with the session) is told to the other parties at `execute`, so
    // they stop at once instead of waiting out their start-up timeout.
    let (agreed, _) = manifest.program_of(&me.record.did);
    let mut refusal = check_program_is(agreed, &program).err().map(|e| match e {
        Error::ProgramMismatch { .. } | Error::BundleMismatch { .. } => {
            format!("program changed since the session was agreed: {e}")
        }
        other => other.to_string(),
    });
    let python = interpreter_of(command);
    let version =
        if installed_mpyc.python() == python { installed_mpyc.finish().await } else { mpyc::version(python).await };
    match version {
        Ok(version) if version == manifest.mpyc.version => {}
        Ok(version) => {
            refusal.get_or_insert(format!(
                "`{python}` has MPyC {version}, the session runs {}: parties with different versions hang",
                manifest.mpyc.version
            ));
        }
        // The session's version, pinned, in the hint: any other would be refused next time.
        Err(Error::MpycMissing { python, reason }) => {
            refusal.get_or_insert(format!(
                "`{python}` cannot import MPyC ({reason}): install the session's version with \
                 `{python} -m pip install mpyc=={}`, or leave out the command after `--` to use the Python the \
                 session was joined with",
                manifest.mpyc.version
            ));
        }
        // Told once as "cannot run: ..." by `execute`, not twice.
        Err(Error::Command(reason)) => {
            refusal.get_or_insert(reason);
        }
        Err(e) => {
            refusal.get_or_insert(e.to_string());
        }
    }
    let me_index = manifest.entry_of(&me.record.did).map(|e| e.index).unwrap_or_default();
    let mut peers = Vec::new();
    for entry in manifest.parties.iter().filter(|p| p.index != me_index) {
        let document = resolver.resolve_for_use(&entry.did).await?.document;
        let address = peer::address(&document)?;
        if hex(address.id.as_bytes()) != entry.endpoint_id {
            return Err(Error::bad_manifest(
                &record.id,
                format!(
                    "it lists party {} with endpoint {}, but its DID says {}",
                    entry.index, entry.endpoint_id, address.id
                ),
            ));
        }
        peers.push((entry.index, entry.did.clone(), address));
    }
    Ok(RunPlan {
        session: record.id.clone(),
        manifest,
        me: me_index,
        interpreter,
        program,
        private_args,
        peers,
        refusal,
    })
}

/// The program file a command line (as `run` takes it) runs.
pub fn program_of(command: &[String], stored: Option<&PathBuf>) -> Result<PathBuf> {
    split_command(command, stored).map(|(_, program, _)| program)
}

/// The interpreter a command line (as `run` takes it) starts.
pub fn interpreter_of(command: &[String]) -> &str {
    command.first().map_or(DEFAULT_PYTHON, String::as_str)
}

const DEFAULT_PYTHON: &str = "python3";

/// `[interpreter, options..., program, args...]`: the program is the first argument after the
/// interpreter that is not an option.
fn split_command(command: &[String], stored: Option<&PathBuf>) -> Result<(Vec<String>, PathBuf, Vec<String>)> {
    let Some((python, rest)) = command.split_first() else {
        let program = stored.ok_or_else(|| {
            Error::Command("no program: give the command, as in `mpc-id run SESSION -- python3 prog.py`".into())
        })?;
        return Ok((vec![DEFAULT_PYTHON.to_owned()], program.clone(), Vec::new()));
    };
    let position = rest
        .iter()
        .position(|a| !a.starts_with('-'))
        .ok_or_else(|| Error::Command(format!("`{}` names no program file to run", command.join(" "))))?;
    if rest[..position].iter().any(|a| a == "-m" || a == "-c") {
        return Err(Error::Command(
            "run a program file (`python3 prog.py`), not -m or -c: its hash is what the session agreed on".into(),
        ));
    }
    let mut interpreter = vec![python.clone()];
    interpreter.extend(rest[..position].iter().cloned());
    let program = std::path::absolute(&rest[position]).unwrap_or_else(|_| PathBuf::from(&rest[position]));
    Ok((interpreter, program, rest[position + 1..].to_vec()))
}

/// MPyC's own default first port: with no `--base-port`, the `-P` list looks as MPyC's would.
const DEFAULT_BASE_PORT: u16 = 11365;

/// The ports MPyC is given: `base + i` for party i. They are names, not TCP ports: the launcher
/// puts each on a Unix socket in the run's private directory, so nothing on this machine needs
/// to be free for them and no run is in another's way.
pub fn layout(plan: &RunPlan, base_port: Option<u16>) -> PortLayout {
    PortLayout::fixed(plan.me, plan.manifest.parties.len(), base_port.unwrap_or(DEFAULT_BASE_PORT))
}

/// Binds `me`'s endpoint: its identity key, its own mediator's relay, and that relay's address
/// discovery (asked of the mediator first; without it a party behind NAT cannot hole punch, so
/// a mediator that does not answer is a warning, not a failure). `peers` are dialled through
/// the relay their own mediator says they are connected to, when it knows (a mediator of
/// several instances), else through the one their DID names.
pub async fn bind_endpoint(
    me: &UnlockedIdentity,
    allow: Allowlist,
    relay_only: bool,
    peers: &[EndpointAddr],
) -> Result<PeerEndpoint> {
    let mediator = me.record.mediator.as_ref();
    let discovery = match mediator.and_then(peer::relay_of) {
        Some(relay) => match mpc_client::relay::relay_info(relay.as_str()).await {
            Ok(info) => info.map(|info| RelayDiscovery { quic_port: info.quic_port, certificate: info.certificate }),
            // A certificate this party does not trust fails the relay's connection the same way:
            // said now, with the fix, not as a start-up timeout later.
            Err(e) if mpc_client::tls::certificate_hint(&e.to_string()).is_some() => {
                return Err(Error::Command(format!("cannot reach your mediator's relay: {e}")));
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot ask the mediator for address discovery; hole punching may not work");
                None
            }
        },
        None => None,
    };
    let locate = locate_through_mediators(peers);
    // The relay is checked with the trust every other connection of this party uses, plus the
    // discovery certificate the mediator made for itself (fetched from it over that trust).
    let pinned: Vec<_> = discovery.as_ref().and_then(|d| d.certificate.clone()).map(Into::into).into_iter().collect();
    let verifier = mpc_connect::endpoint::RelayVerifier(std::sync::Arc::new(move |provider| {
        mpc_client::tls::verifier(provider, pinned.clone())
    }));
    Ok(peer::bind_party(me.keys.signing_key(), mediator, discovery, allow, relay_only, locate, Some(verifier)).await?)
}

/// Asks each peer's mediator (the relay its DID names) which relay the peer is connected to now.
fn locate_through_mediators(peers: &[EndpointAddr]) -> Option<Locate> {
    let mediators: HashMap<EndpointId, RelayUrl> =
        peers.iter().filter_map(|peer| Some((peer.id, peer.relay_urls().next()?.clone()))).collect();
    if mediators.is_empty() {
        return None;
    }
    // One client for every question, few at a time (see `RelayLookup`); without one, the peers
    // are dialled through the relays their DIDs name.
    let lookup = match mpc_client::relay::RelayLookup::new() {
        Ok(lookup) => lookup,
        Err(e) => {
            tracing::debug!(error = %e, "cannot ask the peers' mediators where their relay connections are");
            return None;
        }
    };
    Some(Locate::new(move |id| {
        let mediator = mediators.get(&id).cloned();
        let lookup = lookup.clone();
        Box::pin(async move {
            let mediator = mediator?;
            match lookup.home(mediator.as_str(), &hex(id.as_bytes())).await {
                Ok(found) => found.and_then(|url| url.parse().ok()),
                Err(e) => {
                    tracing::debug!(error = %e, "cannot ask a peer's mediator where its relay connection is");
                    None
                }
            }
        })
    }))
}

/// Connects, launches and watches the program; returns its exit code.
pub async fn execute(
    me: &UnlockedIdentity,
    store: &SessionStore,
    resolver: &Resolver,
    plan: &RunPlan,
    options: &RunOptions,
    mut progress: impl FnMut(Progress),
) -> Result<i32> {
    let layout = layout(plan, options.base_port);
    // MPyC's connections and the forwarders meet on Unix sockets in a directory only this user
    // can enter (see `mpyc_launcher.py`), removed when the run ends.
    let run_dir = private_run_dir()?;
    let allow = Allowlist::new(plan.peers.iter().map(|(_, _, addr)| addr.id));
    let addresses: Vec<EndpointAddr> = plan.peers.iter().map(|(_, _, addr)| addr.clone()).collect();
    let endpoint = bind_endpoint(me, allow, options.relay_only, &addresses).await?;
    let started = Instant::now();
    let peers = plan.peers.iter().map(|(index, _, addr)| MeshPeer { index: *index, addr: addr.clone() }).collect();
    let service = LocalAddr::Unix(mpyc::socket_of(run_dir.path(), layout.own_port));
    let mut mesh = Mesh::start(endpoint, plan.me, peers, Some(service), options.mesh);
    // Direct connections between the programs (see `direct`): not where the user asked for the
    // relay only, nor where MPyC brings its own TLS (its connections then stay in the tunnels).
    let direct = if options.relay_only || plan.manifest.mpyc.ssl { None } else { Some(DirectIdentity::generate()?) };
    if let Some(identity) = &direct {
        mesh.offer_certificate(identity.der());
    }
    if let Some(reason) = &plan.refusal {
        tell_peers(&mut mesh, plan, reason).await;
        mesh.close().await;
        return Err(Error::Command(reason.clone()));
    }
    // Every way out closes the mesh (an endpoint dropped unclosed is aborted, and iroh reports
    // that as an error the user can do nothing about), and peers see the connections close.
    let running = connect_and_run(
        me,
        resolver,
        store,
        plan,
        options,
        &layout,
        run_dir.path(),
        direct.as_ref(),
        &mut mesh,
        started,
        &mut progress,
    );
    let outcome = tokio::select! {
        outcome = running => outcome,
        // Ctrl-C: the program is killed with the dropped future (kill_on_drop); the others are
        // told why this party is going, rather than left to notice it vanish.
        Ok(()) = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    };
    // Whatever stopped this party is told to the others (a program's exit code was told as it
    // happened): each party that stops says why, so nobody is left to guess from a broken link.
    match &outcome {
        Err(Error::Interrupted) => mesh.announce_failure("interrupted by its user"),
        Err(e) => mesh.announce_failure(&e.to_string()),
        Ok(_) => {}
    }
    mesh.close().await;
    outcome
}

/// Forwarders, the launch, the start-up wait and the watch of [`execute`], on its mesh.
#[allow(clippy::too_many_arguments)]
async fn connect_and_run(
    me: &UnlockedIdentity,
    resolver: &Resolver,
    store: &SessionStore,
    plan: &RunPlan,
    options: &RunOptions,
    layout: &PortLayout,
    run_dir: &Path,
    direct: Option<&DirectIdentity>,
    mesh: &mut Mesh,
    started: Instant,
    progress: &mut impl FnMut(Progress),
) -> Result<i32> {
    for (&index, &port) in &layout.forwarders {
        mesh.forward(index, LocalAddr::Unix(mpyc::socket_of(run_dir, port))).await?;
    }
    // The program's direct port is made here and handed to the launcher: it is offered to the
    // peers as soon as their certificates are in, not once the launcher's Python is up.
    let port = direct.and_then(|_| direct_port()).and_then(|port| Some((port.local_addr().ok()?.port(), port)));
    let port_number = port.as_ref().map(|(number, _)| *number);
    let peers = plan.peers.iter().map(|(index, _, _)| *index);
    let mut offers = DirectPlan::new(plan.me, peers, port_number, direct.is_some(), mesh);
    // The launcher starts while the mesh connects: starting Python and importing MPyC take about
    // as long as connecting on a loaded machine (0.6 s each at 16 parties on two cores). It
    // runs the program only once every peer is connected (`Go`); if the start-up fails, it is
    // stopped before the program ran (`kill_on_drop`).
    let mut go = Go::listen(run_dir, port.map(|(_, port)| port))?;
    let Launched { mut child, stderr, shown } =
        start_launcher(me, plan, options, layout, run_dir, port_number.is_some())?;
    // The path each peer was last reported on (`Connected`, then `PathChanged`): a pair that
    // turns direct while the run starts is told when the watch begins.
    let mut told: HashMap<usize, Option<bool>> = plan.peers.iter().map(|(index, _, _)| (*index, None)).collect();
    let waited =
        wait_for_peers(me, resolver, store, plan, options, mesh, &mut child, &mut offers, &mut told, started, progress);
    if waited.await? {
        if let Some(identity) = direct {
            let report = offers.write(identity, mesh, layout, run_dir).await?;
            tracing::debug!(accepted = report.accepted, "certificates accepted on the direct port");
            let tunnelled: Vec<usize> =
                layout.forwarders.keys().copied().filter(|i| !report.dialled.contains(i)).collect();
            if !layout.forwarders.is_empty() {
                progress(Progress::ProgramPaths { direct: report.dialled, tunnelled });
            }
        }
        progress(Progress::Launching { command: shown, private_args: plan.private_args.len() });
        go.give();
    }
    let outcome = watch(&mut child, mesh, plan, options, &mut told, started, stderr, progress).await;
    drop(go);
    outcome
}

/// The start-up: every peer connected (`true`), the launcher ended first (`false`), or a clear
/// error naming who is missing or why a peer went.
#[allow(clippy::too_many_arguments)]
async fn wait_for_peers(
    me: &UnlockedIdentity,
    resolver: &Resolver,
    store: &SessionStore,
    plan: &RunPlan,
    options: &RunOptions,
    mesh: &mut Mesh,
    child: &mut tokio::process::Child,
    offers: &mut DirectPlan,
    told: &mut HashMap<usize, Option<bool>>,
    started: Instant,
    progress: &mut impl FnMut(Progress),
) -> Result<bool> {
    let mut connected: HashMap<usize, bool> = plan.peers.iter().map(|(i, _, _)| (*i, false)).collect();
    // Once every peer is connected, offers for direct connections are waited for a moment more
    // (a peer offers its port once it holds this party's certificate); then the tunnels do.
    let mut all_connected_at: Option<tokio::time::Instant> = None;
    let deadline = tokio::time::Instant::now() + options.startup_timeout;
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    // A peer that vanishes at start-up has often stopped because another cannot run, and that
    // one's refusal may arrive a moment later: wait briefly for it, so every party names the
    // first cause rather than its echo.
    let mut vanished: Option<(Error, tokio::time::Instant)> = None;
    let far = deadline + Duration::from_secs(3600);
    loop {
        let all_connected = connected.values().all(|c| *c);
        let now = tokio::time::Instant::now();
        if all_connected && all_connected_at.is_none() && vanished.is_none() {
            progress(Progress::AllConnected { elapsed: started.elapsed() });
            all_connected_at = Some(now);
        }
        let settle_by = all_connected_at.map(|at| at + DIRECT_GRACE);
        let for_addresses = all_connected_at.is_none_or(|at| now < at + ADDRESS_GRACE);
        let settled = offers.settled(mesh, for_addresses) || settle_by.is_some_and(|by| now >= by);
        if all_connected && (settled || vanished.is_some()) {
            break;
        }
        let echo_until = vanished.as_ref().map_or(far, |(_, until)| *until);
        tokio::select! {
            () = tokio::time::sleep_until(settle_by.unwrap_or(far)) => {}
            // Paths change without an event: while offers settle, they are looked at often.
            () = tokio::time::sleep(SETTLE_LOOK), if settle_by.is_some() => {}
            event = mesh.next_event() => match event {
                Some(MeshEvent::Connected { index }) => {
                    connected.insert(index, true);
                    let path = mesh.path(index);
                    told.insert(index, path.as_ref().map(|p| p.direct));
                    progress(Progress::Connected { index, did: plan.did_of(index), path });
                }
                Some(MeshEvent::Lost { index, reason }) => {
                    if vanished.is_none() {
                        let error = Error::PeerLost { index, who: plan.who(index), reason };
                        vanished = Some((error, tokio::time::Instant::now() + FIRST_CAUSE_GRACE));
                    }
                }
                Some(MeshEvent::Finished { index, code }) => {
                    return Err(Error::PeerFailed { index, who: plan.who(index), code });
                }
                Some(MeshEvent::Failed { index, reason }) => {
                    return Err(Error::PeerCannotRun { index, who: plan.who(index), reason });
                }
                Some(MeshEvent::Offered { index, offer }) => offers.offered_by(index, offer, mesh),
                None => return Err(Error::Command("the connection mesh stopped".into())),
            },
            _ = tick.tick() => {
                progress(Progress::Waiting { missing: missing(&connected) });
                // A party that left the session will not come: its leave message says so.
                if let Err(e) = crate::lobby::sync(me, store, resolver).await {
                    tracing::debug!(error = %e, "could not read the lobby while waiting");
                }
                if let Ok(SessionRecord { state: SessionState::Closed { reason }, .. }) = store.find(&plan.session) {
                    return Err(Error::rejected(&plan.session, format!("it is closed ({reason})")));
                }
            }
            () = tokio::time::sleep_until(echo_until) => {
                if let Some((error, _)) = vanished.take() {
                    return Err(error);
                }
            }
            // The launcher ended before the peers connected (its Python failed): `watch` reports how.
            _ = child.wait() => return Ok(false),
            () = tokio::time::sleep_until(deadline) => {
                if let Some((error, _)) = vanished.take() {
                    return Err(error);
                }
                let missing: Vec<String> = missing(&connected).iter().map(|i| format!("party {i} ({})", plan.who(*i))).collect();
                return Err(Error::StartupTimeout { seconds: options.startup_timeout.as_secs(), missing: missing.join(", ") });
            }
        }
    }
    if let Some((error, _)) = vanished {
        // Everyone else connected, but one that vanished did not come back.
        return Err(error);
    }
    Ok(true)
}

/// How long a party with every peer connected waits for their offers of direct connections.
const DIRECT_GRACE: Duration = Duration::from_secs(2);

/// How long, of that, a party with its peers' offers in waits to learn an address for each port
/// offered (hole punching finds them; 0.1-0.3 s on loopback).
const ADDRESS_GRACE: Duration = Duration::from_millis(500);

/// How often a party waiting for offers looks whether its peers' addresses are known.
const SETTLE_LOOK: Duration = Duration::from_millis(10);

/// How long a party whose peer vanished at start-up waits for a refusal that explains it.
const FIRST_CAUSE_GRACE: Duration = Duration::from_secs(3);

/// How long a party that cannot run waits for its peers to hear so.
const TELL_PEERS_FOR: Duration = Duration::from_secs(5);

/// Announces this party's refusal and waits (a few seconds at most) until every peer that is
/// running has connected and so been told.
async fn tell_peers(mesh: &mut Mesh, plan: &RunPlan, reason: &str) {
    mesh.announce_failure(reason);
    let mut told = std::collections::HashSet::new();
    let deadline = tokio::time::Instant::now() + TELL_PEERS_FOR;
    while told.len() < plan.peers.len() {
        tokio::select! {
            event = mesh.next_event() => match event {
                Some(MeshEvent::Connected { index }) => { told.insert(index); }
                Some(MeshEvent::Lost { index, .. } | MeshEvent::Failed { index, .. } | MeshEvent::Finished { index, .. }) => {
                    told.insert(index);
                }
                Some(MeshEvent::Offered { .. }) => {}
                None => break,
            },
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    // `Mesh::close` then waits until every peer told acknowledged it.
}

fn missing(connected: &HashMap<usize, bool>) -> Vec<usize> {
    let mut missing: Vec<usize> = connected.iter().filter(|(_, c)| !**c).map(|(i, _)| *i).collect();
    missing.sort_unstable();
    missing
}

/// Reports every pair whose path turned direct or relayed since `direct` was last updated.
fn report_path_changes(
    mesh: &Mesh,
    direct: &mut HashMap<usize, Option<bool>>,
    started: Instant,
    progress: &mut impl FnMut(Progress),
) {
    for (index, known) in direct.iter_mut() {
        if let Some(path) = mesh.path(*index)
            && *known != Some(path.direct)
        {
            *known = Some(path.direct);
            progress(Progress::PathChanged { index: *index, path, elapsed: started.elapsed() });
        }
    }
}

/// The watchdog: the program's end, or a peer's.
#[allow(clippy::too_many_arguments)]
async fn watch(
    child: &mut tokio::process::Child,
    mesh: &mut Mesh,
    plan: &RunPlan,
    options: &RunOptions,
    direct: &mut HashMap<usize, Option<bool>>,
    started: Instant,
    mut stderr: Option<tokio::task::JoinHandle<Option<String>>>,
    progress: &mut impl FnMut(Progress),
) -> Result<i32> {
    let mut finished: HashMap<usize, i32> = HashMap::new();
    // Paths are looked at once a second: users see when a pair turns direct (or falls back).
    let mut look = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = look.tick() => report_path_changes(mesh, direct, started, progress),
            status = child.wait() => {
                // A change in the program's last second is still news.
                report_path_changes(mesh, direct, started, progress);
                let status = status.map_err(|e| Error::Command(format!("waiting for the program: {e}")))?;
                // Its last words are out before it is explained (the pipe closes when it ends,
                // unless a child of its own holds it: then not waited for).
                let missing_module = match stderr.take() {
                    Some(reader) if !status.success() => {
                        tokio::time::timeout(Duration::from_secs(1), reader).await.ok().and_then(Result::ok).flatten()
                    }
                    _ => None,
                };
                {
                    use std::os::unix::process::ExitStatusExt;
                    progress(Progress::ProgramEnded { code: status.code(), signal: status.signal(), missing_module });
                }
                let code = exit_code(status);
                mesh.announce_exit(code);
                // The others may still need bytes in flight from us: stay until they end too.
                let others = plan.peers.len();
                let linger = tokio::time::sleep(if code == 0 { options.linger } else { Duration::from_secs(1) });
                tokio::pin!(linger);
                while code == 0 && finished.len() < others {
                    tokio::select! {
                        () = &mut linger => break,
                        event = mesh.next_event() => match event {
                            Some(MeshEvent::Finished { index, code }) => { finished.insert(index, code); }
                            Some(MeshEvent::Lost { index, .. } | MeshEvent::Failed { index, .. }) => { finished.insert(index, -1); }
                            Some(MeshEvent::Connected { .. } | MeshEvent::Offered { .. }) => {}
                            None => break,
                        },
                    }
                }
                if code != 0 {
                    linger.await;
                }
                return Ok(code);
            }
            event = mesh.next_event() => match event {
                Some(MeshEvent::Finished { index, code: 0 }) => {
                    finished.insert(index, 0);
                    progress(Progress::PeerFinished { index });
                }
                Some(MeshEvent::Finished { index, code }) => {
                    stop(child).await;
                    return Err(Error::PeerFailed { index, who: plan.who(index), code });
                }
                Some(MeshEvent::Failed { index, reason }) => {
                    stop(child).await;
                    return Err(Error::PeerCannotRun { index, who: plan.who(index), reason });
                }
                Some(MeshEvent::Lost { index, reason }) if !finished.contains_key(&index) => {
                    stop(child).await;
                    return Err(Error::PeerLost { index, who: plan.who(index), reason });
                }
                Some(_) => {}
                None => return Err(Error::Command("the connection mesh stopped".into())),
            },
        }
    }
}

async fn stop(child: &mut tokio::process::Child) {
    if let Err(e) = child.kill().await {
        tracing::warn!(error = %e, "could not stop the program");
    }
}

/// The conventional name of a signal number (`SIGKILL`), for telling people why a program ended.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        _ => "a signal",
    }
}

/// Copies the program's standard error to ours as it comes, and returns the module of the last
/// `ModuleNotFoundError: No module named 'X'` it saw, if any.
async fn pass_stderr_through(mut from: tokio::process::ChildStderr) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut to = tokio::io::stderr();
    let (mut chunk, mut line, mut missing) = (vec![0u8; 8192], Vec::<u8>::new(), None);
    loop {
        let n = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let _ = to.write_all(&chunk[..n]).await;
        let _ = to.flush().await;
        for &byte in &chunk[..n] {
            if byte == b'\n' {
                missing = missing_module(&String::from_utf8_lossy(&line)).or(missing);
                line.clear();
            } else if line.len() < 4096 {
                line.push(byte);
            }
        }
    }
    missing_module(&String::from_utf8_lossy(&line)).or(missing)
}

/// `X` of a `ModuleNotFoundError: No module named 'X'` line, when `X` is a dotted Python name
/// (so that a hint built from it is safe to paste); the top-level package, which is what pip installs.
fn missing_module(line: &str) -> Option<String> {
    let name = line.trim().strip_prefix("ModuleNotFoundError: No module named '")?.strip_suffix('\'')?;
    let top = name.split('.').next()?;
    let word = |w: &str| {
        !w.is_empty()
            && w.len() <= 100
            && !w.starts_with(|c: char| c.is_ascii_digit())
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    (name.split('.').all(word)).then(|| top.to_owned())
}

/// The exit code, or 128 + the signal that ended the process, as shells report it.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_missing_module_is_read_from_pythons_last_words_and_only_a_python_name_is_taken() {
        assert_eq!(missing_module("ModuleNotFoundError: No module named 'numpy'").as_deref(), Some("numpy"));
        assert_eq!(missing_module("ModuleNotFoundError: No module named 'gmpy2.gmpy2'\r").as_deref(), Some("gmpy2"));
        for not_one in [
            "ImportError: No module named 'numpy'",
            "ModuleNotFoundError: No module named 'numpy; rm -rf ~'",
            "ModuleNotFoundError: No module named '$(reboot)'",
            "ModuleNotFoundError: No module named ''",
            "ModuleNotFoundError: No module named '\x1b[2Jx'",
            "print('ModuleNotFoundError: No module named numpy')",
        ] {
            assert_eq!(missing_module(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn the_program_is_the_first_argument_after_the_interpreter_that_is_not_an_option() {
        let (interpreter, program, args) =
            split_command(&strings(&["python3", "-u", "/x/prog.py", "--n", "3"]), None).expect("split");
        assert_eq!(interpreter, ["python3", "-u"]);
        assert_eq!(program, PathBuf::from("/x/prog.py"));
        assert_eq!(args, ["--n", "3"]);
        let err = split_command(&strings(&["python3", "-m", "mod"]), None).expect_err("-m").to_string();
        assert!(err.contains("not -m or -c"), "{err}");
        let err = split_command(&[], None).expect_err("nothing").to_string();
        assert!(err.contains("no program"), "{err}");
        let stored = PathBuf::from("/y/p.py");
        assert_eq!(split_command(&[], Some(&stored)).expect("stored").1, stored);
    }
}
