//! What `mpc-id run` adds to a short MPyC program's start, against plain MPyC (`-P` list over
//! loopback TCP): three parties run `programs/hello.py` (connect, one secure sum, stop), and
//! each stage of `mpc-id run` is timed from the moment its process starts, by when its `--json`
//! events arrive: the keystore unlocked (Argon2id), the manifest fetched and verified with the
//! MPyC version check (a Python start, begun before the unlock), every peer connected, the
//! program launched, the run over. Interleaved rounds, medians; per round the slowest party.
//! Build the release binaries first:
//!
//!     cargo build --release --bins && cargo bench -p mpc-id-e2e --bench startup
//!
//! `MPC_ID_STARTUP_ROUNDS` sets the number of rounds (default 15).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mpc_id_e2e::session::{self, LoopbackMediator, Party};

const PROGRAM: &str = "hello.py";

/// The events whose arrival marks the end of a stage, in order, and the stage's name.
const STAGES: [(&str, &str); 5] = [
    ("unlocked", "keystore unlocked"),
    ("manifest-verified", "manifest + MPyC version"),
    ("all-connected", "connecting"),
    ("launched", "launch"),
    ("exited", "program, to its end"),
];

fn main() {
    let rounds: usize = std::env::var("MPC_ID_STARTUP_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(15);
    let mediator = LoopbackMediator::start();
    let parties = ["alice", "bob", "carol"].map(|name| Party::new(name, &mediator.url));
    let url = session::create(parties[0].mpc_id(), 3, "startup", PROGRAM, &[]);
    for party in &parties[1..] {
        assert!(session::join(party.mpc_id(), &url, PROGRAM).status.success());
    }
    assert!(parties[0].mpc_id().args(["session", "status"]).output().expect("status").status.success());
    // The first run admits and distributes the manifest: not a start-up anyone waits for twice.
    over_mpc_id(&parties);

    let mut plain = Vec::new();
    let mut through = Vec::new();
    let mut stages: Vec<Vec<Duration>> = vec![Vec::new(); STAGES.len()];
    for round in 0..rounds {
        let plain_wall = plain_mpyc();
        let (wall, marks) = over_mpc_id(&parties);
        eprintln!("round {}: plain {plain_wall:.3?}, mpc-id {wall:.3?}, stage ends {marks:.3?}", round + 1);
        plain.push(plain_wall);
        through.push(wall);
        let mut previous = Duration::ZERO;
        for (stage, mark) in marks.iter().enumerate() {
            stages[stage].push(mark.saturating_sub(previous));
            previous = *mark;
        }
    }
    let (plain, through) = (median(&plain), median(&through));
    println!("{PROGRAM}, 3 parties on loopback, medians of {rounds} interleaved rounds (slowest party each):");
    println!("  plain MPyC (-P list over TCP)   {:>7.3} s", plain.as_secs_f64());
    println!("  through mpc-id run              {:>7.3} s", through.as_secs_f64());
    println!("  added by mpc-id                 {:>7.3} s", through.as_secs_f64() - plain.as_secs_f64());
    println!("  where mpc-id run's time goes (median of each stage, from its own start):");
    for ((_, name), samples) in STAGES.iter().zip(&stages) {
        println!("    {name:<28} {:>7.3} s", median(samples).as_secs_f64());
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// Three MPyC processes with a `-P` list of loopback ports: start to the last exit.
fn plain_mpyc() -> Duration {
    let ports = [free_port(), free_port(), free_port()];
    let started = Instant::now();
    let children: Vec<Child> = (0..3)
        .map(|i| {
            let mut command = Command::new(session::python());
            command.arg(session::program(PROGRAM)).args(["-I", &i.to_string()]);
            for port in ports {
                command.args(["-P", &format!("127.0.0.1:{port}")]);
            }
            command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("mpyc")
        })
        .collect();
    let mut last = Duration::ZERO;
    for mut child in children {
        assert!(child.wait().expect("wait").success(), "plain MPyC failed");
        last = last.max(started.elapsed());
    }
    last
}

/// Three `mpc-id run --json`: start to the last exit, and when (from the start) the slowest
/// party reached the end of each stage.
fn over_mpc_id(parties: &[Party; 3]) -> (Duration, Vec<Duration>) {
    let started = Instant::now();
    let watchers: Vec<_> = parties
        .iter()
        .map(|party| {
            let mut child = party
                .mpc_id()
                .args(["run", "startup", "--json", "--", &session::python()])
                .arg(session::program(PROGRAM))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("mpc-id run");
            let mut stdout = child.stdout.take().expect("stdout");
            let stderr = child.stderr.take().expect("stderr");
            std::thread::spawn(move || {
                let drain = std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
                let mut marks = vec![None; STAGES.len()];
                let mut said = String::new();
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let at = started.elapsed();
                    if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                        && let Some(stage) = STAGES.iter().position(|(name, _)| event["event"] == *name)
                    {
                        marks[stage].get_or_insert(at);
                    }
                    said.push_str(&line);
                    said.push('\n');
                }
                let status = child.wait().expect("wait");
                let ended = started.elapsed();
                let _ = drain.join();
                assert!(status.success(), "a run failed: {said}");
                let marks: Vec<Duration> = marks.into_iter().map(|m| m.expect("every stage reported")).collect();
                (ended, marks)
            })
        })
        .collect();
    let mut wall = Duration::ZERO;
    let mut slowest = vec![Duration::ZERO; STAGES.len()];
    for watcher in watchers {
        let (ended, marks) = watcher.join().expect("watcher");
        wall = wall.max(ended);
        for (slot, mark) in slowest.iter_mut().zip(marks) {
            *slot = (*slot).max(mark);
        }
    }
    (wall, slowest)
}

fn free_port() -> u16 {
    mpc_session::mpyc::free_port().expect("a free port")
}
