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
//! tunnels' cost per unit of MPyC traffic, which should not grow with N. Build the release
//! binaries first:
//!
//!     cargo build --release --bins && cargo bench -p mpc-id-e2e --bench parties
//!
//! `MPC_ID_BENCH_PARTIES=3,8` picks the sizes, `MPC_ID_BENCH_STEPS` the comparisons (default 20).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
         extra CPU us/KB"
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
    let (mut plain, mut ours, mut connected) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        plain.push(plain_tcp(n, steps));
        let (timing, setup) = over_mpc_id(&parties, &name);
        ours.push(timing);
        connected.extend(setup);
    }
    let (plain, ours) = (median(plain), median(ours));
    connected.sort();
    let overhead = ours.wall.as_secs_f64() - plain.wall.as_secs_f64();
    let extra_cpu_per_kb = (ours.cpu - plain.cpu) * 1e6 / (ours.kb.max(1.0));
    println!(
        "  {n:>2}   {:>7.3}   {:>8.3}   {:>5.2}x  {:>10.3}   {:>11.3}   {:>6.2} s ({:.2} s)     {:>5.2} / {:>5.2} s     {:>8.1}",
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
    );
}

/// One run: MPyC's elapsed time and wall time (the slowest party's), the CPU seconds of all its
/// processes, and the kilobytes MPyC sent (all parties).
#[derive(Clone, Copy, Debug)]
struct Timing {
    elapsed: Duration,
    wall: Duration,
    cpu: f64,
    kb: f64,
}

fn median(samples: Vec<Timing>) -> Timing {
    let middle = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Timing {
        elapsed: Duration::from_secs_f64(middle(samples.iter().map(|t| t.elapsed.as_secs_f64()).collect())),
        wall: Duration::from_secs_f64(middle(samples.iter().map(|t| t.wall.as_secs_f64()).collect())),
        cpu: middle(samples.iter().map(|t| t.cpu).collect()),
        kb: middle(samples.iter().map(|t| t.kb).collect()),
    }
}

fn plain_tcp(n: usize, steps: &str) -> Timing {
    let cpu = children_cpu();
    let ports: Vec<u16> = (0..n).map(|_| mpc_session::mpyc::free_port().expect("a free port")).collect();
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
    timing(&wait_all(runs, Duration::from_secs(600)), started, cpu)
}

fn over_mpc_id(parties: &[Party], name: &str) -> (Timing, Vec<Duration>) {
    let cpu = children_cpu();
    let started = Instant::now();
    let runs = parties.iter().map(|p| session::spawn_run(p.mpc_id(), name, PROGRAM, &[])).collect();
    let ended = wait_all(runs, Duration::from_secs(600));
    let setup = ended
        .iter()
        .filter_map(|run| {
            let line = run.stderr.lines().find(|l| l.contains("all parties connected in"))?;
            let seconds: f64 = line.rsplit(" in ").next()?.trim_end_matches(" s").parse().ok()?;
            Some(Duration::from_secs_f64(seconds))
        })
        .collect();
    (timing(&ended, started, cpu), setup)
}

/// CPU seconds (user and system) used so far by this process's waited-for descendants.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(13) + ticks(14)) as f64 / 100.0
}

fn timing(ended: &[session::Ended], started: Instant, cpu_before: f64) -> Timing {
    let (mut elapsed, mut wall, mut bytes) = (Duration::ZERO, Duration::ZERO, 0u64);
    for run in ended {
        assert_eq!(run.code, Some(0), "a run failed: {}", run.stderr);
        let (run_elapsed, sent) = mpyc_stop_line(&run.stdout);
        elapsed = elapsed.max(run_elapsed);
        bytes += sent;
        wall = wall.max(run.at.duration_since(started));
    }
    Timing { elapsed, wall, cpu: children_cpu() - cpu_before, kb: bytes as f64 / 1024.0 }
}

/// MPyC's `Stop MPyC -- elapsed time: H:MM:SS.fff|bytes sent: N`.
fn mpyc_stop_line(stdout: &str) -> (Duration, u64) {
    let line = stdout.lines().find(|l| l.contains("elapsed time:")).expect("MPyC reports its elapsed time");
    let time = line.split("elapsed time: ").nth(1).and_then(|t| t.split('|').next()).expect("time");
    let parts: Vec<f64> = time.split(':').map(|p| p.trim().parse().expect("number")).collect();
    let sent = line.split("bytes sent: ").nth(1).and_then(|b| b.trim().parse().ok()).unwrap_or(0);
    (Duration::from_secs_f64(parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]), sent)
}
