//! Direct connections between the parties' programs (`session/src/run/direct.rs`): the launcher's
//! TLS port admits only the certificates its party's peers sent over the mesh, and a connection
//! only as the party whose certificate it presented. Run against the real launcher and a real
//! MPyC program, with intruders connecting as a real TLS client would.

use std::io::Write;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::session;
use mpc_test_support::KillOnDrop;

/// A fresh key and certificate, written as PEM into `dir`; returns their paths and the
/// certificate's DER in hex.
fn credentials(dir: &Path, name: &str) -> (String, String, String) {
    let key = rcgen::KeyPair::generate().expect("a key");
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, format!("test {name}"));
    let certificate = params.self_signed(&key).expect("a certificate");
    let (crt, pem) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    std::fs::write(&crt, certificate.pem()).expect("write certificate");
    std::fs::write(&pem, key.serialize_pem()).expect("write key");
    let hex = mpc_identity::hex(certificate.der());
    (crt.display().to_string(), pem.display().to_string(), hex)
}

/// Sends `listener` on `launcher` as mpc-id does (`session/src/run/launch.rs`): one byte, with
/// the socket as SCM_RIGHTS.
fn hand_over(launcher: &std::os::unix::net::UnixStream, listener: &std::net::TcpListener) {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    use std::os::fd::AsFd;
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [listener.as_fd()];
    control.push(SendAncillaryMessage::ScmRights(&fds));
    rustix::net::sendmsg(launcher, &[std::io::IoSlice::new(b"L")], &mut control, SendFlags::NOSIGNAL)
        .expect("the port handed over");
}

#[test]
fn the_direct_port_admits_only_a_peers_certificate_speaking_as_that_peer() {
    let python = mpc_id_e2e::session::python();
    let root = mpc_id_e2e::workspace_root();
    let dir = tempfile::tempdir().expect("temp dir");
    let run = dir.path();
    // This party is party 1 of 2: it listens for party 0.
    let (own_crt, own_key, own_hex) = credentials(run, "direct");
    let (peer_crt, peer_key, peer_hex) = credentials(run, "party0");
    let (stranger_crt, stranger_key, _) = credentials(run, "stranger");
    let go = UnixListener::bind(run.join("go")).expect("go socket");
    let launcher = root.join("session/src/mpyc_launcher.py");
    let program = root.join("tests/python/transport_probe.py");
    let child = Command::new(&python)
        .arg(&launcher)
        .args([run.display().to_string(), "15001".into(), "-".into(), "direct".into()])
        .arg(&program)
        .args(["-I", "1", "-P", "127.0.0.1:15000", "-P", "127.0.0.1:15001"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the launcher");
    let _launcher = KillOnDrop(child);
    // As mpc-id does: a listening socket of its own, handed to the launcher.
    let (mut said, _) = go.accept().expect("the launcher connects");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a direct port");
    let port = listener.local_addr().expect("its port").port();
    hand_over(&said, &listener);
    drop(listener);
    let direct = serde_json::json!({
        "certificate": own_crt, "key": own_key, "dial": [],
        "accept": [{ "party": 0, "certificate": peer_hex }],
    });
    std::fs::write(run.join("direct.json"), direct.to_string()).expect("direct.json");
    said.write_all(b"+").expect("go");

    let intrude = |crt: &str, key: &str, party: &str| {
        let out = Command::new(&python)
            .arg(root.join("tests/python/direct_intruder.py"))
            .args([&port.to_string(), crt, key, &own_hex, party])
            .output()
            .expect("the intruder");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    // Someone with a certificate of their own, and the peer's certificate speaking as another
    // party, are cut; the peer as itself is let in (MPyC then waits for its keys).
    assert_eq!(intrude(&stranger_crt, &stranger_key, "0"), "cut", "a stranger's certificate was admitted");
    assert_eq!(intrude(&peer_crt, &peer_key, "1"), "cut", "party 0's certificate was admitted as party 1");
    assert_eq!(intrude(&peer_crt, &peer_key, "0"), "open", "party 0 itself was not admitted");
}

/// The TCP ports `pid` listens on (from /proc: its sockets' inodes, looked up in the kernel's
/// tables), as a port scan would find them.
fn listening_ports(pid: u32) -> Vec<u16> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|link| link.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_owned))
        .collect();
    let tables = ["/proc/net/tcp", "/proc/net/tcp6"].map(|t| std::fs::read_to_string(t).unwrap_or_default());
    tables
        .iter()
        .flat_map(|table| table.lines().skip(1))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let listening = fields.get(3) == Some(&"0A") && inodes.iter().any(|i| fields.get(9) == Some(&i.as_str()));
            let port = fields.get(1)?.rsplit(':').next()?;
            listening.then(|| u16::from_str_radix(port, 16).ok()).flatten()
        })
        .collect()
}

/// The processes whose parent is one of `parents`: each run's launcher.
fn children_of(parents: &[u32]) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let parent: u32 = stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse().ok()?;
            parents.contains(&parent).then_some(pid)
        })
        .collect()
}

fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(Iterator::count).unwrap_or(0)
}

/// A stranger who finds the parties' direct ports floods them from eight addresses at full speed
/// (connections held open without a word, handshakes with a certificate of its own) while three
/// parties run: they compute what they would have computed, each launcher holds no more than its
/// bound of waiting connections, and a flood can at most send a party through its tunnel. On
/// uvloop (which mpc-id installs with MPyC) and on asyncio's own loop (a Python without it).
#[test]
fn a_flood_of_the_direct_ports_leaves_the_parties_their_computation() {
    let mediator = session::LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let probe = mpc_id_e2e::workspace_root().join("tests/python/transport_probe.py").display().to_string();
    let name = session::gather(&parties, "flood", &probe, &[]);
    for without_uvloop in ["0", "1"] {
        flood_while_running(&parties, &name, &probe, without_uvloop);
    }
}

fn flood_while_running(parties: &[session::Party; 3], name: &str, probe: &str, without_uvloop: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (stranger_crt, stranger_key, _) = credentials(dir.path(), "stranger");

    let mut flood = Command::new(session::python())
        .arg(mpc_id_e2e::workspace_root().join("tests/python/direct_flood.py"))
        .args([stranger_crt, stranger_key])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the flood");
    // Party 0's program starts two seconds after the others': parties 1 and 2 wait for it on
    // their direct ports meanwhile (MPyC's lower parties dial the higher ones), under the flood.
    let runs: Vec<_> = parties
        .iter()
        .map(|p| {
            let mut command = p.mpc_id();
            command.env("TRANSPORT_PROBE_LATE", "0:2").env("MPYC_NOUVLOOP", without_uvloop);
            session::spawn_run(command, name, probe, &[])
        })
        .collect();
    let pids: Vec<u32> = runs.iter().map(std::process::Child::id).collect();
    // Every launcher listens from its start, while the mesh still connects (party 0's closes its
    // port once it knows nobody dials it).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut launchers: Vec<(u32, u16)> = Vec::new();
    let mut two_found = None;
    let waiting = |two_found: Option<Instant>| two_found.is_none_or(|at| at.elapsed() < Duration::from_millis(100));
    while launchers.len() < 3 && Instant::now() < deadline && waiting(two_found) {
        for pid in children_of(&pids) {
            if let Some(port) = listening_ports(pid).first().filter(|_| !launchers.iter().any(|(p, _)| *p == pid)) {
                launchers.push((pid, *port));
            }
        }
        if launchers.len() == 2 && two_found.is_none() {
            two_found = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(launchers.len() >= 2, "the launchers' ports were not found: {launchers:?}");
    let ports: Vec<String> = launchers.iter().map(|(_, port)| port.to_string()).collect();
    let mut stdin = flood.stdin.take().expect("the flood's input");
    writeln!(stdin, "{}", ports.join(",")).expect("the ports to flood");

    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let watching = watching.clone();
        let launchers = launchers.clone();
        std::thread::spawn(move || {
            let mut most = vec![0; launchers.len()];
            while watching.load(std::sync::atomic::Ordering::Relaxed) {
                for (most, (pid, _)) in most.iter_mut().zip(&launchers) {
                    *most = (*most).max(open_descriptors(*pid));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            most
        })
    };
    let ended = session::wait_all(runs, Duration::from_secs(120));
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let most = watcher.join().expect("the watcher");
    drop(stdin);
    let flooded = flood.wait_with_output().expect("the flood's counts");
    let counts: serde_json::Value = serde_json::from_slice(&flooded.stdout).expect("counts as JSON");

    for (party, run) in parties.iter().zip(&ended) {
        assert_eq!(run.code, Some(0), "{} ran under the flood: {}", party.name, run.stderr);
        assert!(run.stdout.contains("total: 6"), "{}: {}", party.name, run.stdout);
    }
    let made = counts["made"].as_u64().unwrap_or(0);
    assert!(made >= 100, "the flood hardly reached the ports: {counts}");
    // A launcher's own descriptors (standard streams, its loop, MPyC's listener and connections)
    // are about 15; the direct port lets at most 4 * (parties + 4) connections wait.
    for ((pid, port), most) in launchers.iter().zip(&most) {
        assert!(
            *most <= 64,
            "the launcher {pid} (port {port}, MPYC_NOUVLOOP={without_uvloop}) held {most} descriptors under the flood ({counts})"
        );
    }
    let paths: Vec<&str> = ended[0].stdout.lines().filter(|l| l.starts_with("peer ")).collect();
    eprintln!(
        "flood (MPYC_NOUVLOOP={without_uvloop}): {counts}; most descriptors held: {most:?}; party 0's paths: {paths:?}"
    );
}
