//! A session's cost as parties are added: N = 3, 8 and 16 parties on loopback, each its own
//! `mpc-id run` with its own keystore, against the same MPyC program over plain TCP (N MPyC
//! processes with a `-P` list) in the same run, interleaved. The program is latency-bound and
//! light (`programs/comparison_chain.py`: one secure comparison after another, nothing in
//! parallel; MPyC's `--no-prss`, since pseudo-random secret sharing costs binomial(N, t) per
//! random number: 11,440 subsets at 16 parties), so that 16 parties fit on two cores and what a
//! path adds per round shows.
//!
//! Reported per N, medians of the rounds: MPyC's own elapsed time (the slowest party's) over
//! both paths and their ratio; wall time and mpc-id's overhead beyond plain MPyC's (against the
//! target of 0.3 s + 0.02 s per party); the time from `mpc-id run` to every party connected; and
//! the CPU all processes used beyond plain MPyC's, per kilobyte MPyC sent (its own count): the
//! tunnels' cost per unit of MPyC traffic, which should not grow with N; and where the wall time
//! beyond MPyC's goes, both ways: until the last party's program started MPyC (`up`), and from
//! the last party's MPyC stopping to the last process ending (`down`); the CPU beyond plain
//! MPyC's per party, and how idle the machine's cores were during the mpc-id rounds (a start-up
//! that leaves none idle costs its CPU divided by the cores in wall time). Build the release
//! binaries first:
//!
//!     cargo build --release --bins && cargo bench -p mpc-id-e2e --bench parties
//!
//! `MPC_ID_BENCH_PARTIES=3,8` picks the sizes, `MPC_ID_BENCH_STEPS` the comparisons (default 20).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::bench::{Timing, children_cpu, connected_in, median, timing};
use mpc_id_e2e::session::{self, LoopbackMediator, Party, wait_all};

const ROUNDS: usize = 3;
const PROGRAM: &str = "comparison_chain.py";

fn main() {
    let sizes: Vec<usize> = std::env::var("MPC_ID_BENCH_PARTIES")
        .unwrap_or_else(|_| "3,8,16".to_owned())
        .split(',')
        .map(|n| n.trim().parse().expect("MPC_ID_BENCH_PARTIES: numbers, as in 3,8,16"))
        .collect();
    let steps = std::env::var("MPC_ID_BENCH_STEPS").unwrap_or_else(|_| "20".to_owned());
    println!("{PROGRAM} --steps {steps}, medians of {ROUNDS} interleaved rounds");
    println!(
        "   N   plain s   mpc-id s   ratio   wall plain   wall mpc-id   overhead (target)   connected med/max   \
         extra CPU us/KB   up plain/mpc-id   down plain/mpc-id   extra CPU/party   idle"
    );
    for n in sizes {
        measure(n, &steps);
    }
}

fn measure(n: usize, steps: &str) {
    let mediator = LoopbackMediator::start();
    let parties: Vec<Party> = (0..n).map(|i| Party::new(&format!("p{i}"), &mediator.url)).collect();
    let name = format!("scale{n}");
    let url = session::create(parties[0].mpc_id(), n, &name, PROGRAM, &["--", "--steps", steps, "--no-prss"]);
    for party in &parties[1..] {
        let joined = session::join(party.mpc_id(), &url, PROGRAM);
        assert!(joined.status.success(), "join: {}", String::from_utf8_lossy(&joined.stderr));
    }
    assert!(parties[0].mpc_id().args(["session", "status"]).output().expect("status").status.success());
    let (mut plain, mut ours, mut connected, mut idle) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        plain.push(plain_tcp(n, steps));
        let before = cores_idle();
        let (timing, setup) = over_mpc_id(&parties, &name);
        let after = cores_idle();
        ours.push(timing);
        connected.extend(setup);
        idle.push((after.0 - before.0) as f64 / (after.1 - before.1).max(1) as f64);
    }
    idle.sort_by(f64::total_cmp);
    let (plain, ours) = (median(&plain), median(&ours));
    connected.sort();
    let overhead = ours.wall.as_secs_f64() - plain.wall.as_secs_f64();
    let extra_cpu_per_kb = (ours.cpu - plain.cpu) * 1e6 / (ours.kb.max(1.0));
    println!(
        "  {n:>2}   {:>7.3}   {:>8.3}   {:>5.2}x  {:>10.3}   {:>11.3}   {:>6.2} s ({:.2} s)     {:>5.2} / {:>5.2} s     {:>8.1}   {:>5.2} / {:>5.2} s     {:>5.2} / {:>5.2} s     {:>6.0} ms      {:>3.0}%",
        plain.elapsed.as_secs_f64(),
        ours.elapsed.as_secs_f64(),
        ours.elapsed.as_secs_f64() / plain.elapsed.as_secs_f64(),
        plain.wall.as_secs_f64(),
        ours.wall.as_secs_f64(),
        overhead,
        0.3 + 0.02 * n as f64,
        connected.get(connected.len() / 2).copied().unwrap_or_default().as_secs_f64(),
        connected.last().copied().unwrap_or_default().as_secs_f64(),
        extra_cpu_per_kb,
        plain.up.as_secs_f64(),
        ours.up.as_secs_f64(),
        plain.down.as_secs_f64(),
        ours.down.as_secs_f64(),
        (ours.cpu - plain.cpu) * 1e3 / n as f64,
        idle.get(idle.len() / 2).copied().unwrap_or_default() * 100.0,
    );
}

/// The machine's idle and total CPU time so far, in ticks (`/proc/stat`'s first line).
fn cores_idle() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> =
        stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|t| t.parse().ok()).collect();
    // idle and iowait, of user, nice, system, idle, iowait, irq, softirq, steal.
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (idle, ticks.iter().take(8).sum())
}

fn plain_tcp(n: usize, steps: &str) -> Timing {
    let cpu = children_cpu();
    // Held until MPyC binds them, and not from the ephemeral range: a port 0 hands out is free
    // for any outgoing connection to take meanwhile (the parties' to the mediator), and an MPyC
    // party whose port was taken waits forever.
    let held: Vec<_> = (0..n).map(|_| mpc_session::mpyc::reserve_port().expect("a free port")).collect();
    let ports: Vec<u16> = held.iter().map(|port| port.port()).collect();
    let started = Instant::now();
    let runs: Vec<Child> = (0..n)
        .map(|i| {
            let mut command = Command::new(session::python());
            command.arg(session::program(PROGRAM)).args(["-I", &i.to_string()]);
            for port in &ports {
                command.args(["-P", &format!("127.0.0.1:{port}")]);
            }
            command
                .args(["--steps", steps, "--no-prss"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("mpyc")
        })
        .collect();
    let ended = wait_all(runs, Duration::from_secs(600));
    drop(held);
    timing(&ended, started, cpu)
}

fn over_mpc_id(parties: &[Party], name: &str) -> (Timing, Vec<Duration>) {
    let cpu = children_cpu();
    let started = Instant::now();
    let runs = parties.iter().map(|p| session::spawn_run(p.mpc_id(), name, PROGRAM, &[])).collect();
    let ended = wait_all(runs, Duration::from_secs(600));
    (timing(&ended, started, cpu), connected_in(&ended))
}
