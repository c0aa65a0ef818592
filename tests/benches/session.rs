//! MPyC over mpc-id against MPyC over plain TCP, on loopback, in one run: the many-rounds
//! program (`programs/secure_ranking.py`) run by three parties (1) over plain TCP (MPyC's own
//! `-P` list, the baseline), (2) through `mpc-id run` with direct tunnels, (3) through
//! `mpc-id run --relay-only` (every byte through the mediator's relay). Reported: MPyC's own
//! computation time (its "elapsed time", connection set-up excluded) and the whole wall time, as
//! medians of interleaved rounds and as ratios to the baseline; and the time from `mpc-id run`
//! to every party connected. Run as root, it compares once more with loopback's MTU at 1500,
//! as between hosts on Ethernet (and restores it). Build the release binaries first:
//!
//!     cargo build --release --bins && cargo bench -p mpc-id-e2e --bench session

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::bench::{Timing, children_cpu, connected_in, median, timing};
use mpc_id_e2e::session::{self, LoopbackMediator, Party, wait_all};

const ROUNDS: usize = 5;
const VALUES: &str = "16";

fn main() {
    let mediator = LoopbackMediator::start();
    let parties = ["alice", "bob", "carol"].map(|name| Party::new(name, &mediator.url));
    let url = session::create(parties[0].mpc_id(), 3, "bench", "secure_ranking.py", &["--", "--values", VALUES]);
    for party in &parties[1..] {
        assert!(session::join(party.mpc_id(), &url, "secure_ranking.py").status.success());
    }
    assert!(parties[0].mpc_id().args(["session", "status"]).output().expect("status").status.success());

    // For a profiler: one path only, again and again (`plain`, `direct` or `relayed`).
    if let Ok(path) = std::env::var("MPC_ID_BENCH_ONLY") {
        return repeat(&parties, &path);
    }
    compare(&parties, "loopback as it is (MTU 64 KiB: plain TCP sends MPyC's messages whole)");
    // Between two hosts, TCP segments are at most about 1,460 bytes, as QUIC packets are: only
    // root can make loopback look like that, for the length of this comparison.
    match LoopbackMtu::set(1500) {
        Some(_restored_on_drop) => compare(&parties, "loopback at MTU 1500 (as on Ethernet between hosts)"),
        None => eprintln!("not root: the comparison at MTU 1500 is skipped"),
    }
}

/// Five interleaved rounds of the three paths; prints the medians.
fn compare(parties: &[Party; 3], setting: &str) {
    let mut plain = Vec::new();
    let mut direct = Vec::new();
    let mut relayed = Vec::new();
    let mut connected = Vec::new();
    for round in 0..ROUNDS {
        plain.push(plain_tcp());
        let (timing, setup) = over_mpc_id(parties, &[]);
        direct.push(timing);
        connected.extend(setup);
        let (timing, setup) = over_mpc_id(parties, &["--relay-only"]);
        relayed.push(timing);
        connected.extend(setup);
        eprintln!(
            "round {}: plain {:?}, direct {:?}, relayed {:?}",
            round + 1,
            plain[round],
            direct[round],
            relayed[round]
        );
    }
    let (plain, direct, relayed) = (median(&plain), median(&direct), median(&relayed));
    println!("{setting}");
    println!("secure_ranking.py --values {VALUES} (3 parties, 48 values), medians of {ROUNDS} interleaved rounds:");
    println!("  path              MPyC elapsed   ratio   wall time   ratio   CPU s (all processes)   ratio");
    for (name, t) in [("plain TCP", plain), ("mpc-id, direct", direct), ("mpc-id, relayed", relayed)] {
        println!(
            "  {name:<16} {:>9.3} s   {:>5.2}x   {:>7.3} s   {:>5.2}x   {:>8.2}                {:>5.2}x",
            t.elapsed.as_secs_f64(),
            t.elapsed.as_secs_f64() / plain.elapsed.as_secs_f64(),
            t.wall.as_secs_f64(),
            t.wall.as_secs_f64() / plain.wall.as_secs_f64(),
            t.cpu,
            t.cpu / plain.cpu
        );
    }
    connected.sort();
    println!(
        "time from `mpc-id run` to all parties connected: median {:.2} s, max {:.2} s ({} runs)",
        connected[connected.len() / 2].as_secs_f64(),
        connected.last().copied().unwrap_or_default().as_secs_f64(),
        connected.len()
    );
    println!();
}

fn repeat(parties: &[Party; 3], path: &str) {
    for round in 0..ROUNDS * 4 {
        let timing = match path {
            "plain" => plain_tcp(),
            "direct" => over_mpc_id(parties, &[]).0,
            "relayed" => over_mpc_id(parties, &["--relay-only"]).0,
            other => panic!("MPC_ID_BENCH_ONLY: no path {other:?} (plain, direct, relayed)"),
        };
        eprintln!("{path} round {}: {timing:?}", round + 1);
    }
}

/// The loopback interface's MTU, set for a while and restored when dropped.
struct LoopbackMtu {
    previous: String,
}

impl LoopbackMtu {
    fn set(mtu: u32) -> Option<Self> {
        let previous = std::fs::read_to_string("/sys/class/net/lo/mtu").ok()?.trim().to_owned();
        let set = Command::new("ip").args(["link", "set", "lo", "mtu", &mtu.to_string()]).status().ok()?;
        set.success().then_some(LoopbackMtu { previous })
    }
}

impl Drop for LoopbackMtu {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "set", "lo", "mtu", &self.previous]).status();
    }
}

fn free_port() -> u16 {
    mpc_session::mpyc::free_port().expect("a free port")
}

fn plain_tcp() -> Timing {
    let cpu = children_cpu();
    let ports = [free_port(), free_port(), free_port()];
    let started = Instant::now();
    let runs: Vec<Child> = (0..3)
        .map(|i| {
            let mut command = Command::new(session::python());
            command.arg(session::program("secure_ranking.py")).args(["-I", &i.to_string()]);
            for port in ports {
                command.args(["-P", &format!("127.0.0.1:{port}")]);
            }
            command.args(["--values", VALUES]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("mpyc")
        })
        .collect();
    timing(&wait_all(runs, Duration::from_secs(600)), started, cpu)
}

fn over_mpc_id(parties: &[Party; 3], extra: &[&str]) -> (Timing, Vec<Duration>) {
    let cpu = children_cpu();
    let started = Instant::now();
    let runs = parties.iter().map(|p| session::spawn_run(p.mpc_id(), "bench", "secure_ranking.py", extra)).collect();
    let ended = wait_all(runs, Duration::from_secs(600));
    (timing(&ended, started, cpu), connected_in(&ended))
}
