//! How mpc-id compares, in a lab of network namespaces: three parties' hosts on one bridge (veth,
//! MTU 1500, as machines on a LAN), the mediator on the same bridge, and one MPyC program run
//! over four paths, interleaved round by round:
//!
//! - plain TCP between the hosts (MPyC's own `-P` list): the zero-overhead line;
//! - WireGuard in userspace (Debian's `wireguard-go`, the data plane a mesh VPN runs without a
//!   kernel module), one interface per host, MPyC over the tunnel addresses;
//! - `mpc-id run` with its direct tunnels;
//! - `mpc-id run --relay-only`, every byte through the mediator's relay.
//!
//! Two programs: `secure_ranking.py` (many rounds, much in parallel) and `comparison_chain.py`
//! (latency-bound: each comparison waits for the previous one to open). Per path: MPyC's own
//! elapsed time (the slowest party's), wall time from start to the last exit, CPU seconds of
//! every process involved (the parties' processes, and the mediator or the WireGuard daemons
//! where the path uses them), and bytes on the wire (every interface of the bridge), each as a
//! ratio to plain TCP. Before that, one-byte round trips through each path between two hosts
//! (`tests/python/tunnel_probe.py`), p50 and p99.
//!
//! Needs root and `ip`; installs `wireguard-go` and `wireguard-tools` with apt when missing.
//! Writes `target/compare.csv` (every sample); `scripts/plot-compare` draws it.
//!
//!     cargo build --release --bins && cargo bench -p mpc-id-e2e --bench compare
//!
//! `MPC_ID_COMPARE_ROUNDS` sets the rounds (default 5), `MPC_ID_COMPARE_STEPS` the latency-bound
//! program's comparisons (default 100; more steady its ratio, which moves between runs by more
//! than a tenth at 100), `MPC_ID_COMPARE_ONLY=latency-bound` (or `many rounds`) runs one program.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::netlab::{KillOnDrop, Nat, NatLab, Site};
use mpc_id_e2e::session;

const PARTIES: usize = 3;

/// A program and its arguments.
struct Program {
    label: &'static str,
    file: &'static str,
    args: Vec<String>,
}

/// The programs compared, as the environment picks them (see the module's documentation).
fn programs() -> Vec<Program> {
    let steps = std::env::var("MPC_ID_COMPARE_STEPS").unwrap_or_else(|_| "100".to_owned());
    let only = std::env::var("MPC_ID_COMPARE_ONLY").ok();
    [
        Program { label: "many rounds", file: "secure_ranking.py", args: vec!["--values".into(), "16".into()] },
        Program { label: "latency-bound", file: "comparison_chain.py", args: vec!["--steps".into(), steps] },
    ]
    .into_iter()
    .filter(|program| only.as_deref().is_none_or(|only| only == program.label))
    .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    Plain,
    WireGuard,
    Direct,
    Relayed,
}

const PATHS: [Path; 4] = [Path::Plain, Path::WireGuard, Path::Direct, Path::Relayed];

impl Path {
    /// Its name in the CSV.
    fn key(self) -> &'static str {
        match self {
            Path::Plain => "plain",
            Path::WireGuard => "wireguard",
            Path::Direct => "mpc-id-direct",
            Path::Relayed => "mpc-id-relayed",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Path::Plain => "plain TCP",
            Path::WireGuard => "WireGuard (wireguard-go)",
            Path::Direct => "mpc-id, direct",
            Path::Relayed => "mpc-id, relayed",
        }
    }
}

/// One run's figures.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    elapsed: f64,
    wall: f64,
    cpu: f64,
    bytes: u64,
    /// Parties whose program reached a peer through the tunnels on the direct path (a direct
    /// connection not offered in time, or refused): such a sample measures some tunnels too.
    tunnelled: usize,
}

fn main() {
    if let Err(missing) = tools() {
        eprintln!("compare: {missing}");
        std::process::exit(2);
    }
    let rounds: usize = std::env::var("MPC_ID_COMPARE_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    let lab = NatLab::new(&[Nat::None; PARTIES]).unwrap_or_else(|why| panic!("the lab cannot be built: {why}"));
    let data = tempfile::tempdir().expect("tempdir");
    let mediator = lab.spawn_mediator(data.path());
    let sites: Vec<Site<'_>> = (0..PARTIES).map(|i| Site::new(&lab, i)).collect();
    let names = ["alice", "bob", "carol"];
    let dids: Vec<String> = sites.iter().zip(names).map(|(site, name)| site.new_identity(name)).collect();
    let as_party = |i: usize| {
        let mut command = sites[i].mpc_id();
        command.env("MPC_ID_IDENTITY", names[i]);
        command
    };
    let programs = programs();
    assert!(!programs.is_empty(), "MPC_ID_COMPARE_ONLY: `many rounds` or `latency-bound`");
    for program in &programs {
        let mut extra = vec!["--"];
        extra.extend(program.args.iter().map(String::as_str));
        let url = session::create(as_party(0), PARTIES, session_name(program), program.file, &extra);
        for i in 1..PARTIES {
            let output = session::join(as_party(i), &url, program.file);
            assert!(output.status.success(), "join: {}", String::from_utf8_lossy(&output.stderr));
        }
    }
    let wireguard = WireGuard::up(&lab);

    let run = Runner { lab: &lab, mediator: mediator.id(), wireguard: &wireguard, as_party: &as_party };
    println!("Round trips of one byte between two hosts (3,000 each; p50 / p99, µs):");
    let rtts = round_trips(&run, &sites, &dids);
    for (path, (p50, p99)) in PATHS.iter().zip(&rtts) {
        println!("  {:<26} {p50:>7.0}  {p99:>7.0}   added p50 {:>5.0}", path.label(), p50 - rtts[0].0);
    }
    println!();

    let mut csv = String::from("program,path,round,elapsed_s,wall_s,cpu_s,bytes\n");
    for program in &programs {
        // One unmeasured run per path first: WireGuard's handshakes, Python's caches.
        for path in PATHS {
            run.once(program, path, 0);
        }
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); PATHS.len()];
        for round in 1..=rounds {
            for (k, path) in PATHS.iter().enumerate() {
                let sample = run.once(program, *path, round);
                eprintln!("{} round {round}: {}: {sample:?}", program.label, path.label());
                csv.push_str(&format!(
                    "{},{},{round},{:.4},{:.4},{:.3},{}\n",
                    program.label,
                    path.key(),
                    sample.elapsed,
                    sample.wall,
                    sample.cpu,
                    sample.bytes
                ));
                samples[k].push(sample);
            }
        }
        report(program, &samples, rounds);
    }
    let out = mpc_id_e2e::workspace_root().join("target").join("compare.csv");
    std::fs::write(&out, csv).expect("write the CSV");
    println!("every sample: {} (plot: scripts/plot-compare {})", out.display(), out.display());
}

fn session_name(program: &Program) -> &'static str {
    program.file.trim_end_matches(".py")
}

/// Medians of each path and their ratios to plain TCP.
fn report(program: &Program, samples: &[Vec<Sample>], rounds: usize) {
    let median = |values: Vec<f64>| {
        let mut values = values;
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let medians: Vec<Sample> = samples
        .iter()
        .map(|s| Sample {
            elapsed: median(s.iter().map(|x| x.elapsed).collect()),
            wall: median(s.iter().map(|x| x.wall).collect()),
            cpu: median(s.iter().map(|x| x.cpu).collect()),
            bytes: median(s.iter().map(|x| x.bytes as f64).collect()) as u64,
            // How many samples had a party on its tunnels, not a median.
            tunnelled: s.iter().filter(|x| x.tunnelled > 0).count(),
        })
        .collect();
    let base = medians[0];
    println!(
        "{} ({} {}), 3 parties, medians of {rounds} interleaved rounds:",
        program.label,
        program.file,
        program.args.join(" ")
    );
    println!(
        "  path                        MPyC elapsed  ratio     wall   ratio   CPU s  ratio   MB on the wire  ratio"
    );
    for (path, m) in PATHS.iter().zip(&medians) {
        println!(
            "  {:<26} {:>9.3} s  {:>4.2}x {:>7.3} s  {:>4.2}x {:>6.2}  {:>4.2}x  {:>13.2}  {:>4.2}x",
            path.label(),
            m.elapsed,
            m.elapsed / base.elapsed,
            m.wall,
            m.wall / base.wall,
            m.cpu,
            m.cpu / base.cpu,
            m.bytes as f64 / 1e6,
            m.bytes as f64 / base.bytes as f64
        );
    }
    let direct = PATHS.iter().position(|path| *path == Path::Direct).map_or(0, |i| medians[i].tunnelled);
    if direct > 0 {
        println!("  ({direct} of {rounds} direct-path samples had a party reach a peer through the tunnels)");
    }
    println!();
}

/// Runs programs over a path and measures them.
struct Runner<'a> {
    lab: &'a NatLab,
    mediator: u32,
    wireguard: &'a WireGuard,
    as_party: &'a dyn Fn(usize) -> Command,
}

impl Runner<'_> {
    fn once(&self, program: &Program, path: Path, round: usize) -> Sample {
        self.wireguard.only_for(self.lab, path == Path::WireGuard);
        let daemons: Vec<u32> = match path {
            Path::Plain => Vec::new(),
            Path::WireGuard => self.wireguard.daemons.iter().map(KillOnDrop::id).collect(),
            Path::Direct | Path::Relayed => vec![self.mediator],
        };
        let cpu_before = children_cpu() + daemons.iter().map(|pid| process_cpu(*pid)).sum::<f64>();
        let bytes_before = self.wire_bytes();
        let started = Instant::now();
        let children = match path {
            Path::Plain | Path::WireGuard => {
                let net = if path == Path::Plain { "10.200.0" } else { WireGuard::NET };
                // A fresh port per run: no listener lingers from the one before.
                let port = 20_000 + (round as u16 % 100) * 10 + path as u16;
                (0..PARTIES)
                    .map(|i| {
                        let mut command = self.lab.command(&self.lab.host(i), session::python());
                        command.arg(session::program(program.file)).args(["-I", &i.to_string()]);
                        for j in 0..PARTIES {
                            command.args(["-P", &format!("{net}.{}:{port}", 10 + j)]);
                        }
                        command.args(&program.args).stdout(Stdio::piped()).stderr(Stdio::piped());
                        command.spawn().expect("mpyc")
                    })
                    .collect()
            }
            Path::Direct | Path::Relayed => {
                let extra: &[&str] = if path == Path::Relayed { &["--relay-only"] } else { &[] };
                (0..PARTIES)
                    .map(|i| session::spawn_run((self.as_party)(i), session_name(program), program.file, extra))
                    .collect()
            }
        };
        let ended = session::wait_all(children, Duration::from_secs(600));
        let mut sample = Sample::default();
        for run in &ended {
            assert_eq!(run.code, Some(0), "{} over {}: {}", program.file, path.label(), run.stderr);
            sample.elapsed = sample.elapsed.max(mpyc_elapsed(&run.stdout));
            sample.wall = sample.wall.max(run.at.duration_since(started).as_secs_f64());
            // Planned for the tunnels, or fallen back to them when a direct dial failed.
            if path == Path::Direct
                && (run.stderr.contains("through the tunnels") || run.stderr.contains("; using the tunnel"))
            {
                sample.tunnelled += 1;
            }
        }
        sample.cpu = children_cpu() + daemons.iter().map(|pid| process_cpu(*pid)).sum::<f64>() - cpu_before;
        sample.bytes = self.wire_bytes() - bytes_before;
        sample
    }

    /// Bytes sent by every interface on the bridge: each host's, and the bridge's own (the
    /// mediator's).
    fn wire_bytes(&self) -> u64 {
        let read = |namespace: &str, interface: &str| -> u64 {
            let output = self
                .lab
                .command(namespace, "cat")
                .arg(format!("/sys/class/net/{interface}/statistics/tx_bytes"))
                .output()
                .expect("cat");
            String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(0)
        };
        (0..PARTIES).map(|i| read(&self.lab.host(i), "eth0")).sum::<u64>() + read(&self.lab.public(), "br0")
    }
}

/// One-byte round trips from host 0 to host 1 through each path, (p50, p99) in µs.
fn round_trips(run: &Runner<'_>, sites: &[Site<'_>], dids: &[String]) -> Vec<(f64, f64)> {
    let _echo = KillOnDrop(sites[1].python(&["serve", "0.0.0.0:7000"]).spawn().expect("echo service"));
    let probe = |target: &str| -> (f64, f64) {
        let output = sites[0].python(&["rtt", target, "3000"]).output().expect("probe");
        assert!(output.status.success(), "rtt probe: {}", String::from_utf8_lossy(&output.stderr));
        let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        (result["p50_us"].as_f64().unwrap_or(0.0), result["p99_us"].as_f64().unwrap_or(0.0))
    };
    let tunnel = |relay_only: bool, local: u16| -> (KillOnDrop, KillOnDrop, std::sync::mpsc::Receiver<String>) {
        let flag: &[&str] = if relay_only { &["--relay-only"] } else { &[] };
        let listen = (run.as_party)(1)
            .args(["tunnel", "listen", "-n", "bob", "--allow", &dids[0], "--to", "127.0.0.1:7000"])
            .args(flag)
            .stdout(Stdio::null())
            .spawn()
            .expect("listen");
        let mut connect = (run.as_party)(0)
            .args(["tunnel", "connect", "-n", "alice", &dids[1], "--local", &format!("127.0.0.1:{local}")])
            .args(flag)
            .stdout(Stdio::piped())
            .spawn()
            .expect("connect");
        let (lines, receiver) = std::sync::mpsc::channel();
        let stdout = connect.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        (KillOnDrop(listen), KillOnDrop(connect), receiver)
    };
    let plain = probe("10.200.0.11:7000");
    run.wireguard.only_for(run.lab, true);
    let wireguard = probe(&format!("{}.11:7000", WireGuard::NET));
    run.wireguard.only_for(run.lab, false);
    // The direct tunnel: first traffic opens it relayed; measure once the path says direct.
    let (_listen, _connect, paths) = tunnel(false, 7100);
    let _ = probe("127.0.0.1:7100");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if paths.recv_timeout(Duration::from_millis(500)).is_ok_and(|line| line.contains("path  direct")) {
            break;
        }
    }
    let direct = probe("127.0.0.1:7100");
    drop((_listen, _connect));
    let (_listen, _connect, _paths) = tunnel(true, 7200);
    let _ = probe("127.0.0.1:7200");
    let relayed = probe("127.0.0.1:7200");
    vec![plain, wireguard, direct, relayed]
}

/// `wireguard-go` on every host: interface `wgI` at `10.201.0.(10+I)`, every other host a peer
/// at its bridge address, MTU 1420 (what `wg-quick` sets on a 1500-byte link). The names differ
/// because wireguard-go's control socket (`/var/run/wireguard/NAME.sock`) is not per namespace.
struct WireGuard {
    daemons: Vec<KillOnDrop>,
    _keys: tempfile::TempDir,
}

impl WireGuard {
    const NET: &'static str = "10.201.0";

    /// Every host's WireGuard interface up for its own path and down for the others: the
    /// endpoints of `mpc-id run` offer every address of every interface that is up as a
    /// candidate for their direct paths, a pair whose QUIC connection chose the overlay's had
    /// its programs' direct TLS dialled there too, and every message then went through
    /// wireguard-go (the slow rounds of the latency-bound program, docs/BENCHMARKS.md).
    fn only_for(&self, lab: &NatLab, up: bool) {
        let state = if up { "up" } else { "down" };
        for i in 0..PARTIES {
            command_output(lab.command(&lab.host(i), "ip").args(["link", "set", &format!("wg{i}"), state]), "");
        }
    }

    fn up(lab: &NatLab) -> Self {
        let keys = tempfile::tempdir().expect("tempdir");
        let mut public = Vec::new();
        for i in 0..PARTIES {
            let private = command_output(Command::new("wg").arg("genkey"), "");
            std::fs::write(keys.path().join(format!("{i}.key")), &private).expect("key file");
            public.push(command_output(Command::new("wg").arg("pubkey"), &private));
        }
        let mut daemons = Vec::new();
        for i in 0..PARTIES {
            let (host, interface) = (lab.host(i), format!("wg{i}"));
            let daemon = lab
                .command(&host, "wireguard-go")
                .args(["-f", &interface])
                // wireguard-go refuses to start on Linux unless told this.
                .env("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("wireguard-go");
            daemons.push(KillOnDrop(daemon));
            let deadline = Instant::now() + Duration::from_secs(10);
            while !lab
                .command(&host, "ip")
                .args(["link", "show", &interface])
                .output()
                .is_ok_and(|o| o.status.success())
            {
                assert!(Instant::now() < deadline, "wireguard-go made no {interface} in {host}");
                std::thread::sleep(Duration::from_millis(50));
            }
            let key = keys.path().join(format!("{i}.key"));
            let mut set = lab.command(&host, "wg");
            set.args(["set", &interface, "listen-port", "51820", "private-key"]).arg(&key);
            for (j, peer) in public.iter().enumerate().filter(|(j, _)| *j != i) {
                set.args(["peer", peer.trim(), "allowed-ips", &format!("{}.{}/32", Self::NET, 10 + j)]);
                set.args(["endpoint", &format!("{}:51820", NatLab::address(j))]);
            }
            command_output(&mut set, "");
            command_output(
                lab.command(&host, "ip").args([
                    "addr",
                    "add",
                    &format!("{}.{}/24", Self::NET, 10 + i),
                    "dev",
                    &interface,
                ]),
                "",
            );
            command_output(lab.command(&host, "ip").args(["link", "set", &interface, "mtu", "1420", "up"]), "");
        }
        WireGuard { daemons, _keys: keys }
    }
}

/// Checks that the bench runs as root with `ip`, and that `wireguard-go` and `wg` are there,
/// installing them with apt if not.
fn tools() -> Result<(), String> {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if !root {
        return Err("needs root (network namespaces); run it with sudo".into());
    }
    let present = |tool: &str| {
        Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
    };
    if present("wireguard-go") && present("wg") {
        return Ok(());
    }
    eprintln!("compare: installing wireguard-go and wireguard-tools (apt-get)");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends", "wireguard-go", "wireguard-tools"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("apt-get: {e}"))?;
    if installed.success() && present("wireguard-go") && present("wg") {
        Ok(())
    } else {
        Err("could not install wireguard-go and wireguard-tools: apt-get install wireguard-go wireguard-tools".into())
    }
}

fn command_output(command: &mut Command, stdin: &str) -> String {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{command:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// CPU seconds (user and system) used so far by this process's waited-for descendants: MPyC, and
/// `mpc-id run` with the MPyC it ran (`ip netns exec` replaces itself with the program).
fn children_cpu() -> f64 {
    stat_ticks("/proc/self/stat", 13, 14)
}

/// CPU seconds a running process has used.
fn process_cpu(pid: u32) -> f64 {
    stat_ticks(&format!("/proc/{pid}/stat"), 11, 12)
}

fn stat_ticks(path: &str, user: usize, system: usize) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(user) + ticks(system)) as f64 / 100.0
}

/// MPyC's `Stop MPyC -- elapsed time: H:MM:SS.fff|bytes sent: N`, in seconds.
fn mpyc_elapsed(stdout: &str) -> f64 {
    let line = stdout.lines().find(|l| l.contains("elapsed time:")).expect("MPyC reports its elapsed time");
    let time = line.split("elapsed time: ").nth(1).and_then(|t| t.split('|').next()).expect("time");
    let parts: Vec<f64> = time.split(':').map(|p| p.parse().expect("number")).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}
