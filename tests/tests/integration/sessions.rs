//! Sessions end to end on loopback: three parties with keystores of their own, a real mediator,
//! real `mpc-id` processes and a real MPyC (installed by `scripts/test`).
//!
//! What it proves: the project's MPyC programs give the same results through `mpc-id run` as in
//! a plain MPyC run (one with many rounds of secure comparisons, one with long vectors, the
//! latter with MPyC's own TLS on top); a party killed mid-run is named by the others, which exit
//! non-zero within 10 s instead of hanging; a program that differs from the session's is refused
//! before anything launches; the lobby's refusals (full, refused by the host, not in the party
//! order, expired) are clear errors.

use std::process::Command;
use std::time::{Duration, Instant};

use mpc_id_e2e::session::{
    self, LoopbackMediator, Party, Watched, plain_results, results, spawn_run, wait_all, wait_watched,
};

/// Every party's `mpc-id run` of the session `name`, returned once MPyC has connected all three:
/// the computation is under way.
fn under_way(parties: &[Party; 3], name: &str) -> Vec<Watched> {
    let mut runs: Vec<Watched> =
        parties.iter().map(|p| spawn_run(p.mpc_id(), name, "secure_ranking.py", &[]).into()).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    for run in &mut runs {
        run.wait_for("All 3 parties connected", deadline);
    }
    runs
}

#[test]
fn three_parties_compute_what_plain_mpyc_computes() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    for (program, extra) in [("secure_ranking.py", &[][..]), ("vector_sums.py", &["--mpyc-ssl"][..])] {
        let name = session::gather(&parties, program.trim_end_matches(".py"), program, extra);
        let runs = parties.iter().map(|p| spawn_run(p.mpc_id(), &name, program, &[])).collect();
        let ended = wait_all(runs, Duration::from_secs(180));
        let expected = plain_results(program, 3);
        assert!(!expected.is_empty(), "the plain run printed results");
        for (party, run) in parties.iter().zip(&ended) {
            assert_eq!(run.code, Some(0), "{} ran {program}: {}", party.name, run.stderr);
            assert_eq!(results(&run.stdout), expected, "{}'s results of {program}", party.name);
            assert!(run.stderr.contains("all parties connected"), "{}", run.stderr);
        }
        if extra.contains(&"--mpyc-ssl") {
            // MPyC says how it connected; with TLS it says so.
            assert!(ended[0].stdout.contains("connected via SSL"), "{}", ended[0].stdout);
        }
    }
}

/// Each party's own input stays its own: three different private numbers, summed right, and none
/// of them in any file a party keeps (session records, keystore, peer book) or in the mediator's
/// database, through which every message between the parties passed.
#[test]
fn private_inputs_reach_only_their_own_program() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "private", "private_sum.py", &[]);
    let inputs = ["718293", "546372", "918273"];
    let runs = parties
        .iter()
        .zip(inputs)
        .map(|(p, input)| session::spawn_run_with_inputs(p.mpc_id(), &name, "private_sum.py", &[input]))
        .collect();
    let ended = wait_all(runs, Duration::from_secs(120));
    let total: u64 = inputs.iter().map(|n| n.parse::<u64>().expect("number")).sum();
    for (party, run) in parties.iter().zip(&ended) {
        assert_eq!(run.code, Some(0), "{} ran: {}", party.name, run.stderr);
        assert_eq!(results(&run.stdout), [format!("sum: {total}")], "{}", party.name);
        for input in inputs {
            assert!(!run.stderr.contains(input), "{}'s output shows a private input: {}", party.name, run.stderr);
        }
    }
    let mut kept: Vec<std::path::PathBuf> = parties.iter().map(|p| p.home.path().to_owned()).collect();
    kept.push(mediator.data_dir().to_owned());
    for dir in kept {
        for file in session::files_under(&dir) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            for input in inputs {
                assert!(
                    !bytes.windows(input.len()).any(|w| w == input.as_bytes()),
                    "{} holds the private input {input}",
                    file.display()
                );
            }
        }
    }
}

/// MPyC listens on all interfaces and authenticates no one; under `mpc-id run` its connections
/// are either direct TLS connections pinned to certificates the peers sent over the mesh (where one
/// party's machine reaches the other's, as on loopback here), or, with `--relay-only`, Unix sockets
/// in a directory only the party's user can enter (no TCP port for the network or another user of
/// the machine to reach). Either way the run's directory is gone after the run.
#[test]
fn mpycs_connections_are_pinned_tls_or_unix_sockets_in_a_private_directory_removed_after_the_run() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let probe = mpc_id_e2e::workspace_root().join("tests/python/transport_probe.py").display().to_string();
    let name = session::gather(&parties, "sockets", &probe, &[]);
    for relay_only in [false, true] {
        let extra: &[&str] = if relay_only { &["--relay-only"] } else { &[] };
        let runs = parties.iter().map(|p| spawn_run(p.mpc_id(), &name, &probe, extra)).collect();
        let ended = wait_all(runs, Duration::from_secs(120));
        for (me, (party, run)) in parties.iter().zip(&ended).enumerate() {
            assert_eq!(run.code, Some(0), "{} ran: {}", party.name, run.stderr);
            assert!(run.stdout.contains("total: 6"), "{}: {}", party.name, run.stdout);
            let peers: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("peer ")).collect();
            assert_eq!(peers.len(), 2, "{}: {}", party.name, run.stdout);
            for line in peers {
                let words: Vec<&str> = line.split_whitespace().collect();
                if !relay_only {
                    assert!(
                        matches!(words.get(2), Some(&("AF_INET" | "AF_INET6"))),
                        "party {me}'s direct connection: {line} {}",
                        run.stderr
                    );
                    assert_eq!(words.get(3), Some(&"tls"), "party {me}'s direct connection is not TLS: {line}");
                    continue;
                }
                assert_eq!(words.get(2), Some(&"AF_UNIX"), "party {me}'s MPyC connection: {line}");
                assert_eq!(words.get(5), Some(&"700"), "party {me}'s socket directory is open to others: {line}");
                let directory = std::path::Path::new(words[4]).parent().expect("a directory");
                assert!(!directory.exists(), "party {me}'s run directory {} is left behind", directory.display());
            }
        }
    }
}

/// With MPyC's TLS too, a program runs in the directory `mpc-id run` was started in: it reads its
/// data files relative to it (each party's number here, as MPyC's demos read `data/...`), and
/// MPyC's key material never lands there.
#[test]
fn programs_run_where_they_are_started_with_mpyc_tls_too() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "files", "private_sum.py", &["--mpyc-ssl"]);
    let numbers = [1203u64, 3405, 5607];
    let dirs: Vec<tempfile::TempDir> = numbers
        .iter()
        .map(|n| {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::create_dir(dir.path().join("data")).expect("mkdir");
            std::fs::write(dir.path().join("data/mine.txt"), n.to_string()).expect("write");
            dir
        })
        .collect();
    let runs = parties
        .iter()
        .zip(&dirs)
        .map(|(party, dir)| {
            let mut command = party.mpc_id();
            command.current_dir(dir.path());
            session::spawn_run_with_inputs(command, &name, "private_sum.py", &["@data/mine.txt"])
        })
        .collect();
    let ended = wait_all(runs, Duration::from_secs(120));
    let total: u64 = numbers.iter().sum();
    for (party, run) in parties.iter().zip(&ended) {
        assert_eq!(run.code, Some(0), "{} ran: {}", party.name, run.stderr);
        assert_eq!(results(&run.stdout), [format!("sum: {total}")], "{}", party.name);
    }
    for dir in &dirs {
        assert_eq!(session::files_under(dir.path()), [dir.path().join("data/mine.txt")], "nothing else written there");
    }
    for party in &parties {
        let left: Vec<_> = session::files_under(party.home.path())
            .into_iter()
            .filter(|f| f.to_string_lossy().contains(".run/"))
            .collect();
        assert!(left.is_empty(), "{}'s run directory is removed: {left:?}", party.name);
    }
}

/// A party that never comes: the others stop at the start-up timeout naming it (or the party that
/// gave up first), and say nothing else (no library's internal errors at the default verbosity).
#[test]
fn a_startup_timeout_names_the_missing_party_and_nothing_else() {
    use std::process::Stdio;
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "absent", "secure_ranking.py", &[]);
    let runs = parties[..2]
        .iter()
        .map(|party| {
            party
                .mpc_id()
                .args(["run", &name, "--startup-timeout", "3s", "--"])
                .arg(session::python())
                .arg(session::program("secure_ranking.py"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("mpc-id run")
        })
        .collect();
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(60))) {
        assert_ne!(run.code, Some(0), "{} should fail", party.name);
        // The first to time out names party 2; the other may first see that one go.
        assert!(
            run.stderr.contains("not connected: party 2") || run.stderr.contains("vanished"),
            "{} names who is missing: {}",
            party.name,
            run.stderr
        );
        assert!(!run.stderr.contains("ERROR") && !run.stderr.contains("WARN"), "{}: {}", party.name, run.stderr);
        // Python was started while the parties connected, but the program never ran: MPyC
        // did not start, and nothing said it launched.
        assert!(!run.stdout.contains("Start MPyC"), "{}'s program ran: {}", party.name, run.stdout);
        assert!(!run.stderr.contains("launching"), "{}: {}", party.name, run.stderr);
    }
}

/// Joiners see what they agree to before they agree, and where no one can answer, joining takes
/// --yes: without it the join is refused with the command to paste, and nothing is sent.
#[test]
fn joiners_see_what_they_agree_to_and_confirm_it() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let url = session::create(parties[0].mpc_id(), 3, "shown", "secure_ranking.py", &["--", "--values", "7"]);
    let unconfirmed = parties[1]
        .mpc_id()
        .args(["session", "join", &url, "--program"])
        .arg(session::program("secure_ranking.py"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("join");
    let stderr = String::from_utf8_lossy(&unconfirmed.stderr);
    assert!(!unconfirmed.status.success(), "joined without confirmation: {stderr}");
    let sha = mpc_session::manifest::program_sha256(&session::program("secure_ranking.py")).expect("hash");
    for shown in ["secure_ranking.py", sha.as_str(), "--values 7", "MPyC       0.11", "parties    3", "expires"] {
        assert!(stderr.contains(shown), "`{shown}` is shown before joining: {stderr}");
    }
    assert!(stderr.contains("--yes") && stderr.contains(&url), "the hint is the command to paste: {stderr}");
    // Nothing was sent: the host sees no one asking.
    let status = parties[0].mpc_id().args(["session", "status", "shown"]).output().expect("status");
    assert!(!String::from_utf8_lossy(&status.stdout).contains("asked to join"));

    // Bob names himself; the label travels in his signed request and the host shows it.
    let joined = parties[1]
        .mpc_id()
        .args([
            "session",
            "join",
            &url,
            "--yes",
            "--label",
            "Bob's laptop",
            "--python",
            &session::python(),
            "--program",
        ])
        .arg(session::program("secure_ranking.py"))
        .output()
        .expect("join");
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let status = parties[1].mpc_id().args(["session", "status", "shown"]).output().expect("status");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains(&sha) && status.contains("--values 7"), "status shows the agreement: {status}");
    let status = parties[0].mpc_id().args(["session", "status", "shown"]).output().expect("status");
    let status = String::from_utf8_lossy(&status.stdout);
    let bob = mpc_identity::did::abbreviate(&parties[1].did);
    assert!(status.contains(&format!("Bob's laptop, {bob}")), "the host sees Bob's label: {status}");
    // Once the manifest is signed, every party sees the others by label, from the manifest.
    let joined = session::join(parties[2].mpc_id(), &url, "secure_ranking.py");
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    assert!(parties[0].mpc_id().args(["session", "status", "shown"]).output().expect("status").status.success());
    let status = parties[2].mpc_id().args(["session", "status", "shown"]).output().expect("status");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains(&format!("party 1  Bob's laptop, {bob}")), "carol sees Bob's label: {status}");
    assert!(status.contains(&format!("alice, {}", mpc_identity::did::abbreviate(&parties[0].did))), "{status}");
    // A label is one short line.
    let refused = parties[2]
        .mpc_id()
        .args(["session", "join", &url, "--yes", "--label", "carol\nall parties connected", "--program"])
        .arg(session::program("secure_ranking.py"))
        .output()
        .expect("join");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && stderr.contains("--label") && stderr.contains("control characters"),
        "{stderr}"
    );
}

/// A party whose program changed after it joined cannot run, and says so to the others: they
/// stop within seconds naming it and the reason, instead of waiting out their start-up timeout.
#[test]
fn a_party_that_cannot_run_tells_the_others() {
    use std::process::Stdio;
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let url = session::create(parties[0].mpc_id(), 3, "edited", "secure_ranking.py", &[]);
    assert!(session::join(parties[1].mpc_id(), &url, "secure_ranking.py").status.success());
    // Carol joins with her own copy, then edits it.
    let own = tempfile::tempdir().expect("tempdir");
    let copy = own.path().join("secure_ranking.py");
    std::fs::copy(session::program("secure_ranking.py"), &copy).expect("copy");
    let joined = parties[2]
        .mpc_id()
        .args(["session", "join", &url, "--yes", "--python", &session::python(), "--program"])
        .arg(&copy)
        .output();
    assert!(joined.expect("join").status.success());
    assert!(parties[0].mpc_id().args(["session", "status"]).output().expect("status").status.success());
    let mut text = std::fs::read_to_string(&copy).expect("read");
    text.push_str("\n# an edit after joining\n");
    std::fs::write(&copy, text).expect("edit");

    let started = Instant::now();
    let mut runs: Vec<_> =
        parties[..2].iter().map(|p| spawn_run(p.mpc_id(), "edited", "secure_ranking.py", &[])).collect();
    runs.push(
        parties[2]
            .mpc_id()
            .args(["run", "edited", "--startup-timeout", "60s", "--"])
            .arg(session::python())
            .arg(&copy)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run"),
    );
    let ended = wait_all(runs, Duration::from_secs(60));
    for (party, run) in parties.iter().zip(&ended) {
        assert_ne!(run.code, Some(0), "{}: {}", party.name, run.stderr);
        assert!(run.stderr.contains("program changed"), "{} says why: {}", party.name, run.stderr);
        assert!(!run.stderr.contains("launching"), "nothing launches: {}", run.stderr);
    }
    for run in &ended[..2] {
        assert!(run.stderr.contains("party 2"), "the others name party 2: {}", run.stderr);
        // By the label carol gave herself and an abbreviated DID: a did:peer:2 is about 450
        // characters.
        let short = mpc_identity::did::abbreviate(&parties[2].did);
        assert!(run.stderr.contains(&format!("party 2 (carol, {short})")), "{}", run.stderr);
        assert!(!run.stderr.contains(&parties[2].did), "{}", run.stderr);
        let took = run.at.duration_since(started);
        assert!(took < Duration::from_secs(15), "stopped after {took:?}, not at the start-up timeout");
    }
}

/// A party that leaves the session tells every other party: those already waiting for it stop
/// within seconds naming it, instead of waiting out their start-up timeout, and a run started
/// later refuses at once.
#[test]
fn a_party_that_leaves_the_session_tells_the_others() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "leaving", "secure_ranking.py", &[]);
    let mut runs: Vec<Watched> =
        parties[..2].iter().map(|p| spawn_run(p.mpc_id(), &name, "secure_ranking.py", &[]).into()).collect();
    // Alice and Bob wait for Carol, who leaves instead. While they wait, they say for whom and
    // why.
    let deadline = Instant::now() + Duration::from_secs(60);
    for run in &mut runs {
        run.wait_for("still waiting for party 2 (carol): not reachable yet", deadline);
    }
    let left_at = Instant::now();
    let left = parties[2].mpc_id().args(["session", "leave", &name]).output().expect("leave");
    assert!(left.status.success(), "{}", String::from_utf8_lossy(&left.stderr));
    let carol = format!("party 2 (carol, {})", mpc_identity::did::abbreviate(&parties[2].did));
    let ended = wait_watched(runs, Duration::from_secs(60));
    for (party, run) in parties.iter().zip(ended) {
        assert_ne!(run.code, Some(0), "{}: {}", party.name, run.stderr);
        assert!(run.stderr.contains(&format!("{carol} left it")), "{} names who left: {}", party.name, run.stderr);
        let took = run.at.duration_since(left_at);
        assert!(took < Duration::from_secs(15), "{} stopped after {took:?}, not at its start-up timeout", party.name);
    }
    let again =
        wait_all(vec![spawn_run(parties[1].mpc_id(), &name, "secure_ranking.py", &[])], Duration::from_secs(30));
    assert!(again[0].stderr.contains(&format!("{carol} left it")), "{}", again[0].stderr);
}

/// A user who stops their run with Ctrl-C: the others are told, and stop at once naming the party
/// and the reason.
#[test]
fn a_party_interrupted_by_its_user_tells_the_others() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "stopped", "secure_ranking.py", &["--", "--values", "100"]);
    let runs = under_way(&parties, &name);
    let interrupted_at = Instant::now();
    session::interrupt(&runs[2]);
    let ended = wait_watched(runs, Duration::from_secs(60));
    assert_ne!(ended[2].code, Some(0), "carol: {}", ended[2].stderr);
    assert!(ended[2].stderr.contains("interrupted"), "carol: {}", ended[2].stderr);
    for (party, run) in parties.iter().zip(&ended[..2]) {
        assert_ne!(run.code, Some(0), "{}: {}", party.name, run.stderr);
        assert!(
            run.stderr.contains("party 2") && run.stderr.contains("interrupted by its user"),
            "{} names party 2 and why: {}",
            party.name,
            run.stderr
        );
        let took = run.at.duration_since(interrupted_at);
        assert!(took < Duration::from_secs(5), "{} took {took:?}", party.name);
    }
}

/// The Python and program given at create and join are remembered: `mpc-id run SESSION` needs
/// nothing more.
#[test]
fn run_without_a_command_uses_the_remembered_python_and_program() {
    use std::process::Stdio;
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let url = session::create(parties[0].mpc_id(), 3, "remembered", "secure_ranking.py", &[]);
    for party in &parties[1..] {
        let joined = party
            .mpc_id()
            .args(["session", "join", &url, "--yes", "--python", &session::python(), "--program"])
            .arg(session::program("secure_ranking.py"))
            .output()
            .expect("join");
        assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
        assert!(String::from_utf8_lossy(&joined.stdout).contains(&format!("mpc-id run -n {} ", party.name)));
    }
    let runs = parties
        .iter()
        .map(|party| {
            party
                .mpc_id()
                .args(["run", "remembered", "--startup-timeout", "60s"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run")
        })
        .collect();
    let expected = plain_results("secure_ranking.py", 3);
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(120))) {
        assert_eq!(run.code, Some(0), "{}: {}", party.name, run.stderr);
        assert_eq!(results(&run.stdout), expected, "{}", party.name);
    }
}

/// `run --json`: progress as JSON lines for tools, every line an event.
#[test]
fn run_json_reports_every_step_as_an_event() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "events", "secure_ranking.py", &[]);
    let runs = parties.iter().map(|p| spawn_run(p.mpc_id(), &name, "secure_ranking.py", &["--json"])).collect();
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(120))) {
        assert_eq!(run.code, Some(0), "{}: {}", party.name, run.stderr);
        let events: Vec<serde_json::Value> = run
            .stderr
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{}: not JSON ({e}): {line}", party.name)))
            .collect();
        let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
        for kind in ["manifest-verified", "connected", "all-connected", "launched", "exited"] {
            assert!(kinds.contains(&kind), "{} reports `{kind}`: {kinds:?}", party.name);
        }
        let connected: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "connected").collect();
        assert_eq!(connected.len(), 2, "{}: {connected:?}", party.name);
        assert!(connected.iter().all(|e| e["did"].as_str().is_some_and(|d| d.len() > 100)), "full DIDs for tools");
        for path in events.iter().filter(|e| e["event"] == "path") {
            assert!(path["path"]["direct"].is_boolean() && path["seconds"].is_number(), "{path}");
        }
        assert_eq!(events.last().map(|e| e["event"].clone()), Some("exited".into()));
        assert_eq!(events.last().map(|e| e["code"].clone()), Some(0.into()));
    }
}

#[test]
fn a_party_killed_mid_run_is_named_by_the_others_within_10_seconds() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "long", "secure_ranking.py", &["--", "--values", "100"]);
    // Carol's machine goes down once the computation is under way: her `mpc-id` and her
    // program die together, without a word to anyone.
    let mut runs = under_way(&parties, &name);
    let carol = runs.pop().expect("carol");
    let killed_at = Instant::now();
    session::kill_group(carol);
    let ended = wait_watched(runs, Duration::from_secs(60));
    for (party, run) in parties.iter().zip(&ended) {
        assert_ne!(run.code, Some(0), "{} should fail: {}", party.name, run.stderr);
        assert!(
            run.stderr.contains("party 2") && run.stderr.contains("vanished"),
            "{} names the vanished party: {}",
            party.name,
            run.stderr
        );
        let took = run.at.duration_since(killed_at);
        assert!(took < Duration::from_secs(10), "{} took {took:?} to stop", party.name);
        // The run says who vanished; the tunnels' own complaints are log detail, for `-v`.
        assert!(!run.stderr.contains(" WARN "), "{} got log lines: {}", party.name, run.stderr);
    }
}

/// The three parties in a session running `local_work.py` (a long stretch of local work: it
/// would notice nothing of its tunnels going); the directory holding it, and the runs.
fn run_local_work(parties: &[Party; 3], session_name: &str) -> (tempfile::TempDir, Vec<std::process::Child>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let program = dir.path().join("local_work.py");
    std::fs::write(&program, "import time\ntime.sleep(120)\n").expect("write");
    let program = program.display().to_string();
    let name = session::gather(parties, session_name, &program, &[]);
    (dir, parties.iter().map(|p| spawn_run(p.mpc_id(), &name, &program, &[])).collect())
}

/// The pid of the `local_work.py` that `run` (an `mpc-id run`) started, once it has.
fn local_work_of(run: &std::process::Child) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = std::process::Command::new("pgrep")
            .args(["-P", &run.id().to_string(), "-f", "local_work.py"])
            .output()
            .expect("pgrep");
        if let Ok(pid) = String::from_utf8_lossy(&found.stdout).trim().parse() {
            return pid;
        }
        assert!(Instant::now() < deadline, "the program did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_killed_mpc_id_run_takes_its_program_along() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    // A program in a long stretch of local work: it would notice nothing of its tunnels going.
    let (_dir, mut runs) = run_local_work(&parties, "orphan");
    let mut carol = runs.pop().expect("carol");
    let child = local_work_of(&carol);
    // Only `mpc-id run` is killed (the OOM killer's way), not its process group.
    assert!(
        std::process::Command::new("kill").args(["-KILL", &carol.id().to_string()]).status().expect("kill").success()
    );
    let _ = carol.wait();
    let alive = || {
        std::fs::read_to_string(format!("/proc/{child}/stat"))
            .is_ok_and(|stat| stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(), "carol's program {child} outlived her mpc-id run");
    // The others notice carol gone and stop theirs.
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(60))) {
        assert_ne!(run.code, Some(0), "{} should fail: {}", party.name, run.stderr);
        assert!(run.stderr.contains("party 2"), "{} names carol: {}", party.name, run.stderr);
    }
}

/// A party whose own program is killed (the OOM killer's way) is told so, by signal, and its
/// `mpc-id run` exits with the shell's status for it; no internal log line reaches its output.
#[test]
fn a_party_whose_program_is_killed_is_told_by_which_signal() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let (_dir, mut runs) = run_local_work(&parties, "killed");
    let carol = runs.pop().expect("carol");
    let child = local_work_of(&carol);
    assert!(std::process::Command::new("kill").args(["-KILL", &child.to_string()]).status().expect("kill").success());
    let ended = wait_all(vec![carol], Duration::from_secs(60));
    let carol = &ended[0];
    assert_eq!(carol.code, Some(137), "128 + 9, as a shell reports it: {}", carol.stderr);
    assert!(carol.stderr.contains("your program was killed by signal 9 (SIGKILL)"), "{}", carol.stderr);
    assert!(!carol.stderr.contains(" WARN ") && !carol.stderr.contains("ERROR "), "log lines in: {}", carol.stderr);
    for run in runs {
        session::kill_group(run);
    }
}

/// A party whose program lacks a Python module is shown the program's own traceback and the
/// command that adds the module to the Python that ran it.
#[test]
fn a_program_missing_a_module_is_followed_by_the_command_that_adds_it() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let dir = tempfile::tempdir().expect("tempdir");
    let program = dir.path().join("needs_a_module.py");
    // Only the party given `need` imports it: the others wait, so carol's is the first failure.
    let text = "import sys, time\nif 'need' in sys.argv:\n    import mpc_id_absent_module.sub\ntime.sleep(120)\n";
    std::fs::write(&program, text).expect("write");
    let program = program.display().to_string();
    let name = session::gather(&parties, "nomodule", &program, &[]);
    let mut runs: Vec<_> = parties[..2].iter().map(|p| session::spawn_run(p.mpc_id(), &name, &program, &[])).collect();
    let carol = session::spawn_run_with_inputs(parties[2].mpc_id(), &name, &program, &["need"]);
    let carol = &wait_all(vec![carol], Duration::from_secs(60))[0];
    assert_eq!(carol.code, Some(1), "{}", carol.stderr);
    assert!(carol.stderr.contains("Traceback (most recent call last)"), "the program's own words: {}", carol.stderr);
    let hint = format!("{} -m pip install mpc_id_absent_module\n", session::python());
    assert!(carol.stderr.contains("its Python has no module `mpc_id_absent_module`"), "{}", carol.stderr);
    assert!(carol.stderr.contains(&hint), "the command for the Python that ran it, {hint:?}: {}", carol.stderr);
    for run in runs.drain(..) {
        session::kill_group(run);
    }
}

/// A party whose machine cannot reach a package index joins all the same: making its Python is
/// left to `run`, which says why it cannot start and what to give instead.
#[test]
fn an_offline_join_leaves_making_the_python_to_run() {
    use std::os::unix::fs::PermissionsExt;
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let url = session::create(parties[0].mpc_id(), 3, "offline", "hello.py", &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    // `python3` without MPyC (isolated mode), mpc-id's data directory empty, and pip's index a
    // port where nothing listens: what a machine without the internet sees.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let system = String::from_utf8(Command::new("sh").args(["-c", "command -v python3"]).output().expect("sh").stdout)
        .expect("utf-8");
    std::fs::write(bin.join("python3"), format!("#!/bin/sh\nexec {} -I \"$@\"\n", system.trim())).expect("write");
    std::fs::set_permissions(bin.join("python3"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let offline = |mut command: Command| {
        command
            .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
            .env("PIP_RETRIES", "0")
            .env("PIP_NO_CACHE_DIR", "1")
            .env("PIP_CONFIG_FILE", "/dev/null");
        command
    };
    let mut join = offline(parties[1].mpc_id());
    let joined = join.args(["session", "join", &url, "--yes", "--program"]).arg(session::program("hello.py")).output();
    let joined = joined.expect("join");
    let stderr = String::from_utf8_lossy(&joined.stderr);
    assert!(joined.status.success(), "an offline join fails: {stderr}");
    assert!(stderr.contains("could not be made ready now") && stderr.contains("`mpc-id run` tries again"), "{stderr}");
    // `run` tries again, and says what failed and what to do, before reaching anyone.
    let mut run = offline(parties[1].mpc_id());
    let ran = run.args(["run", "offline", "--startup-timeout", "5s"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(!ran.status.success(), "{stderr}");
    assert!(stderr.contains("pip could not install MPyC") && stderr.contains("--python"), "{stderr}");
}

/// A party that names a Python without MPyC is told once why it cannot run, and the exact command
/// that installs the session's version (pinned: any other would be refused next).
#[test]
fn a_python_without_mpyc_gets_the_pinned_install_command_once() {
    use std::os::unix::fs::PermissionsExt;
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "nompyc", "hello.py", &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    // A Python that finds no `mpyc` anywhere: isolated mode ignores PYTHONPATH and user packages.
    let bare = dir.path().join("python");
    std::fs::write(&bare, "#!/bin/sh\nexec python3 -I \"$@\"\n").expect("write");
    std::fs::set_permissions(&bare, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // The host's run sends the manifest; Bob's check of his Python comes after it.
    let others = [&parties[0], &parties[2]].map(|p| spawn_run(p.mpc_id(), &name, "hello.py", &[]));
    let output = parties[1]
        .mpc_id()
        .args(["run", &name, "--startup-timeout", "20s", "--"])
        .arg(&bare)
        .arg(session::program("hello.py"))
        .output()
        .expect("mpc-id run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert_eq!(stderr.matches("cannot run").count(), 1, "said once: {stderr}");
    // The session's MPyC version (0.x), pinned, for exactly the Python given.
    assert!(stderr.contains(&format!("{} -m pip install mpyc==0.", bare.display())), "{stderr}");
    for run in others {
        session::kill_group(run);
    }
}

/// The three ways to give a party's private input all run the session's program with the
/// session's Python: `-- ARGS` (the session names its program), `-- prog.py ARGS` and
/// `-- python prog.py ARGS`; a word that is neither, where the session names no program, is told
/// the form to write.
#[test]
fn every_run_form_runs_the_sessions_program_with_the_private_input() {
    use std::process::Stdio;
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "forms", "private_sum.py", &[]);
    let programs = session::program("private_sum.py").parent().expect("programs").to_owned();
    let forms: [&[&str]; 3] = [&["1000"], &["private_sum.py", "200"], &[&session::python(), "private_sum.py", "30"]];
    let runs = parties
        .iter()
        .zip(forms)
        .map(|(party, form)| {
            use std::os::unix::process::CommandExt;
            let mut command = party.mpc_id();
            command
                .current_dir(&programs)
                .args(["run", &name, "--startup-timeout", "60s", "--"])
                .args(form)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .process_group(0);
            command.spawn().expect("mpc-id run")
        })
        .collect();
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(120))) {
        assert_eq!(run.code, Some(0), "{} ran: {}", party.name, run.stderr);
        assert_eq!(results(&run.stdout), ["sum: 1230"], "{}", party.name);
    }
    let output = parties[0].mpc_id().args(["run", "nosuchsession", "--", "1000"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("-- python3 PROGRAM.py 1000"), "{stderr}");
}

/// `session status` works with the mediator gone: the local record, and a line saying what could
/// not be refreshed.
#[test]
fn session_status_shows_the_local_record_when_the_mediator_is_gone() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "offline", "hello.py", &[]);
    drop(mediator);
    let output = parties[1].mpc_id().args(["session", "status", &name]).output().expect("status");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "status works offline: {stderr}");
    assert!(stdout.contains("Session `offline`") && stdout.contains("hello.py"), "{stdout}");
    assert!(stderr.contains("could not refresh from the mediator"), "{stderr}");
}

#[test]
fn a_program_that_differs_from_the_sessions_is_refused_before_launch() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let url = session::create(parties[0].mpc_id(), 3, "mismatch", "secure_ranking.py", &[]);
    // Joining with the wrong program is refused at once...
    let output = session::join(parties[1].mpc_id(), &url, "vector_sums.py");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SHA-256") && stderr.contains("refusing to run it"), "{stderr}");
    // ... and so is running it, after joining with the right one.
    for party in &parties[1..] {
        assert!(session::join(party.mpc_id(), &url, "secure_ranking.py").status.success());
    }
    // The host reads the join requests and, the session being full, sends the manifest.
    assert!(parties[0].mpc_id().args(["session", "status"]).output().expect("status").status.success());
    let run = spawn_run(parties[2].mpc_id(), "mismatch", "vector_sums.py", &[]);
    let ended = wait_all(vec![run], Duration::from_secs(60));
    assert_eq!(ended[0].code, Some(1));
    assert!(ended[0].stderr.contains("refusing to run it"), "{}", ended[0].stderr);
    assert!(!ended[0].stderr.contains("launching"), "nothing may launch: {}", ended[0].stderr);
    assert!(!ended[0].stdout.contains("MPyC"), "MPyC must not start: {}", ended[0].stdout);
}

/// A program that is a directory (a bundle): its `__main__.py` imports a module beside it. The
/// session agrees on every file; the bundle runs through `mpc-id run`; a party whose copy of the
/// helper module changed after the manifest is refused before launch, told which file differs,
/// and the others are told.
#[test]
fn a_two_file_bundle_runs_and_an_altered_one_is_refused_before_launch() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let name = session::gather(&parties, "bundle", "sum_bundle", &[]);
    let runs = parties.iter().map(|p| spawn_run(p.mpc_id(), &name, "sum_bundle", &[])).collect();
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(120))) {
        assert_eq!(run.code, Some(0), "{}: {}", party.name, run.stderr);
        assert!(run.stdout.contains("bundle total: 6"), "{}: {}", party.name, run.stdout);
    }

    // A second session with the same bundle; Carol's copy of the helper changes after joining.
    let copy = tempfile::tempdir().expect("copy");
    for file in ["__main__.py", "helper.py"] {
        std::fs::copy(session::program("sum_bundle").join(file), copy.path().join(file)).expect("copy");
    }
    let url = session::create(parties[0].mpc_id(), 3, "bundle2", "sum_bundle", &[]);
    assert!(session::join(parties[1].mpc_id(), &url, "sum_bundle").status.success());
    let joined = parties[2]
        .mpc_id()
        .args(["session", "join", &url, "--yes", "--python", &session::python(), "--program"])
        .arg(copy.path())
        .output()
        .expect("join");
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    assert!(parties[0].mpc_id().args(["session", "status"]).output().expect("status").status.success());
    let helper = copy.path().join("helper.py");
    let altered = std::fs::read_to_string(&helper).expect("read").replace("mpc.sum(shares)", "mpc.sum(shares) * 2");
    std::fs::write(&helper, altered).expect("alter");
    let run = parties[2]
        .mpc_id()
        .args(["run", "bundle2", "--startup-timeout", "60s", "--", &session::python()])
        .arg(copy.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("helper.py differs") && stderr.contains("refusing to run it"), "{stderr}");
    assert!(!stderr.contains("launching"), "nothing may launch: {stderr}");
}

/// The host shares its two-file bundle through its mediator; Bob and Carol never had it. Joining
/// without `--program` fetches it, checks it against the digest the host signed, shows its files,
/// and saves it only once the party confirms; `mpc-id run SESSION` then runs it.
#[test]
fn a_shared_bundle_is_fetched_by_joiners_who_never_had_it_and_runs() {
    use std::process::Stdio;
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let url = session::create(parties[0].mpc_id(), 3, "shared", "sum_bundle", &["--share-program"]);
    let places = tempfile::tempdir().expect("places");

    // Unconfirmed (no terminal, no --yes): nothing joined, nothing saved.
    let unconfirmed = places.path().join("unconfirmed");
    let refused = parties[1]
        .mpc_id()
        .args(["session", "join", &url, "--python", &session::python(), "--program-dir"])
        .arg(&unconfirmed)
        .stdin(Stdio::null())
        .output()
        .expect("join");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("helper.py") && stderr.contains("__main__.py"), "the files are shown: {stderr}");
    assert!(!unconfirmed.exists(), "nothing is saved before the party confirms");

    for party in &parties[1..] {
        let dir = places.path().join(&party.name);
        let joined = party
            .mpc_id()
            .args(["session", "join", &url, "--yes", "--python", &session::python(), "--program-dir"])
            .arg(&dir)
            .output()
            .expect("join");
        assert!(joined.status.success(), "{}: {}", party.name, String::from_utf8_lossy(&joined.stderr));
        assert_eq!(
            std::fs::read(dir.join("helper.py")).expect("saved"),
            std::fs::read(session::program("sum_bundle").join("helper.py")).expect("original")
        );
    }
    let runs = parties
        .iter()
        .map(|party| {
            party
                .mpc_id()
                .args(["run", "shared", "--startup-timeout", "60s"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run")
        })
        .collect();
    for (party, run) in parties.iter().zip(wait_all(runs, Duration::from_secs(120))) {
        assert_eq!(run.code, Some(0), "{}: {}", party.name, run.stderr);
        assert!(run.stdout.contains("bundle total: 6"), "{}: {}", party.name, run.stdout);
    }
}

/// Roles: the host gives two roles different programs and arguments; each party picks its role
/// at join, runs its role's program with its role's arguments, and a party holding the other
/// role's program is refused.
#[test]
fn a_two_role_session_runs_a_different_program_per_role() {
    let mediator = LoopbackMediator::start();
    let parties = session::three_parties(&mediator);
    let dir = tempfile::tempdir().expect("programs");
    let program = |role: &str| {
        format!(
            "import sys\nfrom mpyc.runtime import mpc\n\nasync def main():\n    await mpc.start()\n    \
             mine = int(sys.argv[1])\n    shares = mpc.input(mpc.SecInt(32)(mine))\n    \
             total = await mpc.output(mpc.sum(shares))\n    print(f\"{role} role ({{mine}}): total {{total}}\")\n    \
             await mpc.shutdown()\n\nmpc.run(main())\n"
        )
    };
    let (dealer, adder) = (dir.path().join("dealer.py"), dir.path().join("adder.py"));
    std::fs::write(&dealer, program("dealer")).expect("write");
    std::fs::write(&adder, program("adder")).expect("write");
    let created = parties[0]
        .mpc_id()
        .args(["session", "create", "--parties", "3", "--name", "roles", "--url", "--python", &session::python()])
        .arg(format!("--role=dealer={}", dealer.display()))
        .arg(format!("--role=adder={}", adder.display()))
        .args(["--role-arg", "dealer=10", "--role-arg", "adder=1", "--my-role", "dealer"])
        .output()
        .expect("create");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let url = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    // For people, create lists the roles and how to join as each.
    let shown = parties[0]
        .mpc_id()
        .args(["session", "create", "--parties", "3", "--name", "roles-shown", "--python", &session::python()])
        .arg(format!("--role=dealer={}", dealer.display()))
        .arg(format!("--role=adder={}", adder.display()))
        .args(["--my-role", "dealer"])
        .output()
        .expect("create");
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("role     dealer: dealer.py") && shown.contains("role     adder: adder.py"), "{shown}");
    assert!(shown.contains("--role adder --program adder.py"), "{shown}");

    let join = |party: &Party, role: Option<&str>, program: &std::path::Path| {
        let mut command = party.mpc_id();
        command.args(["session", "join", &url, "--yes", "--python", &session::python(), "--program"]).arg(program);
        if let Some(role) = role {
            command.args(["--role", role]);
        }
        command.output().expect("join")
    };
    // No role, an unknown role, or the other role's program: refused, saying which roles exist.
    let none = join(&parties[1], None, &adder);
    let told = String::from_utf8_lossy(&none.stderr);
    assert!(told.contains("pick one with --role"), "{told}");
    for role in ["--role dealer --program dealer.py", "--role adder --program adder.py"] {
        assert!(told.contains(role), "the exact command for each role ({role}): {told}");
    }
    let unknown = join(&parties[1], Some("boss"), &adder);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no role `boss`"), "{unknown:?}");
    let wrong = join(&parties[1], Some("adder"), &dealer);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("refusing to run it"), "{wrong:?}");
    for party in &parties[1..] {
        let joined = join(party, Some("adder"), &adder);
        assert!(joined.status.success(), "{}: {}", party.name, String::from_utf8_lossy(&joined.stderr));
    }
    let runs = parties
        .iter()
        .map(|party| {
            party
                .mpc_id()
                .args(["run", "roles", "--startup-timeout", "60s"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run")
        })
        .collect();
    let ended = wait_all(runs, Duration::from_secs(120));
    for run in &ended {
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    }
    assert!(ended[0].stdout.contains("dealer role (10): total 12"), "{}", ended[0].stdout);
    for run in &ended[1..] {
        assert!(run.stdout.contains("adder role (1): total 12"), "{}", run.stdout);
    }
}

#[test]
fn the_lobby_refuses_with_reasons() {
    let mediator = LoopbackMediator::start();
    let [alice, bob, carol] = session::three_parties(&mediator);
    let dave = Party::new("dave", &mediator.url);

    // Full: a two-party session takes Bob, then refuses Carol.
    let url = session::create(alice.mpc_id(), 2, "pair", "secure_ranking.py", &[]);
    assert!(session::join(bob.mpc_id(), &url, "secure_ranking.py").status.success());
    assert!(session::join(carol.mpc_id(), &url, "secure_ranking.py").status.success());
    let status = |party: &Party, name: &str| {
        let output = party.mpc_id().args(["session", "status", name]).output().expect("status");
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
    };
    status(&alice, "pair"); // the host reads its queue and answers
    assert!(status(&bob, "pair").contains("ready"), "{}", status(&bob, "pair"));
    let carol_sees = status(&carol, "pair");
    assert!(carol_sees.contains("refused: the session is full (2 of 2 parties)"), "{carol_sees}");
    let run = spawn_run(carol.mpc_id(), "pair", "secure_ranking.py", &[]);
    let ended = wait_all(vec![run], Duration::from_secs(60));
    assert_ne!(ended[0].code, Some(0));
    assert!(ended[0].stderr.contains("refused to admit you: the session is full"), "{}", ended[0].stderr);

    // By hand: the host refuses Dave, with a reason he is told.
    let url = session::create(alice.mpc_id(), 2, "picky", "secure_ranking.py", &["--confirm"]);
    assert!(session::join(dave.mpc_id(), &url, "secure_ranking.py").status.success());
    assert!(status(&alice, "picky").contains("asked to join; admit or refuse"));
    let output = alice
        .mpc_id()
        .args(["session", "refuse", "picky", &dave.did, "--reason", "not this time"])
        .output()
        .expect("refuse");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(status(&dave, "picky").contains("refused: not this time"), "{}", status(&dave, "picky"));

    // A fixed party order: anyone else is refused.
    let order = format!("{},{}", alice.did, bob.did);
    let url = session::create(alice.mpc_id(), 2, "ordered", "secure_ranking.py", &["--order", &order]);
    assert!(session::join(carol.mpc_id(), &url, "secure_ranking.py").status.success());
    status(&alice, "ordered");
    assert!(status(&carol, "ordered").contains("not in this session's party list"), "{}", status(&carol, "ordered"));
    // An expired invitation: session/tests/integration/lobby.rs, on a clock it moves.
}

#[test]
fn dry_run_and_export_show_the_exact_mpyc_configuration() {
    let mediator = LoopbackMediator::start();
    let [alice, bob, _] = session::three_parties(&mediator);
    let url = session::create(alice.mpc_id(), 2, "pair", "secure_ranking.py", &["--", "--values", "3"]);
    assert!(session::join(bob.mpc_id(), &url, "secure_ranking.py").status.success());
    assert!(alice.mpc_id().args(["session", "status"]).output().expect("status").status.success());

    let output = bob
        .mpc_id()
        .args(["run", "pair", "--dry-run", "--base-port", "21000", "--"])
        .arg(session::python())
        .arg(session::program("secure_ranking.py"))
        .output()
        .expect("dry run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let expected = format!(
        "{} {} -I 1 -P 127.0.0.1:21001 -P 127.0.0.1:21001 --values 3",
        session::python(),
        session::program("secure_ranking.py").display()
    );
    assert_eq!(text.lines().next(), Some(expected.as_str()), "{text}");
    assert!(text.contains("# party 1 listens on socket 21001 for parties [0]"), "{text}");

    let export = |who: &Party, format: &str| {
        let output = who.mpc_id().args(["session", "export", "pair", "--format", format]).output().expect("export");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(export(&alice, "args").trim(), "-I 0 -P 127.0.0.1:11365 -P 127.0.0.1:11366");
    let ini = export(&alice, "ini");
    assert!(ini.contains("[Party 0]\nhost = \nport = 11365"), "{ini}");
    assert!(ini.contains("[Party 1]\nhost = 127.0.0.1\nport = 11366"), "{ini}");
    assert!(ini.contains(&format!("mpc-id tunnel connect {} --local 127.0.0.1:11366", bob.did)), "{ini}");
    let ini = export(&bob, "ini");
    assert!(ini.contains(&format!("mpc-id tunnel listen --to 127.0.0.1:11366 --allow {}", alice.did)), "{ini}");
}
