//! Driving sessions from tests: a loopback mediator, parties with keystores of their own, and
//! `mpc-id session ...` / `mpc-id run` as the real processes a user would start. The same steps
//! run in the NAT lab, where each party's command runs in its own namespace.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::netlab::{KillOnDrop, binary};

pub const PASSPHRASE: &str = "session test passphrase";

/// A program that ships with the project (`programs/`).
pub fn program(name: &str) -> PathBuf {
    crate::workspace_root().join("programs").join(name)
}

/// The Python with MPyC that `scripts/test` installs.
pub fn python() -> String {
    crate::python_for("mpyc").display().to_string()
}

/// Alice, Bob and Carol, each with a keystore of their own, using `mediator`.
pub fn three_parties(mediator: &LoopbackMediator) -> [Party; 3] {
    ["alice", "bob", "carol"].map(|name| Party::new(name, &mediator.url))
}

/// Alice hosts `program`, Bob and Carol join; returns the session name.
///
/// # Panics
/// When a step fails.
pub fn gather(parties: &[Party; 3], name: &str, program: &str, extra: &[&str]) -> String {
    let url = create(parties[0].mpc_id(), 3, name, program, extra);
    for party in &parties[1..] {
        let output = join(party.mpc_id(), &url, program);
        assert!(output.status.success(), "{} joins: {}", party.name, String::from_utf8_lossy(&output.stderr));
    }
    name.to_owned()
}

/// A mediator on a free loopback port, SQLite in a temporary directory.
#[derive(Debug)]
pub struct LoopbackMediator {
    pub url: String,
    _process: KillOnDrop,
    _data: tempfile::TempDir,
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() { pending.push(path) } else { files.push(path) }
        }
    }
    files
}

impl LoopbackMediator {
    /// The mediator's process id (for signals).
    pub fn pid(&self) -> u32 {
        self._process.id()
    }

    /// Where the mediator keeps its keys and database.
    pub fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    /// # Panics
    /// When it does not answer within 30 s.
    pub fn start() -> Self {
        Self::start_with(|_| Vec::new(), "http://127.0.0.1")
    }

    /// A mediator serving HTTPS with `cert` and `key` (for localhost), QUIC address discovery on,
    /// at `https://localhost:PORT`.
    ///
    /// # Panics
    /// When it does not answer within 30 s.
    pub fn start_https(cert: &std::path::Path, key: &std::path::Path) -> Self {
        let quic = format!("127.0.0.1:{}", mpc_session::mpyc::free_port().expect("a free port"));
        let args = |port: u16| {
            let public = format!("https://localhost:{port}/");
            [std::ffi::OsStr::new("--tls-cert"), cert.as_os_str(), std::ffi::OsStr::new("--tls-key"), key.as_os_str()]
                .into_iter()
                .map(Into::into)
                .chain(["--quic-listen", &quic, "--public-url", &public].map(Into::into))
                .collect()
        };
        Self::start_with(args, "https://localhost")
    }

    /// A mediator with `extra` options, reached at `base` (scheme and host) and its port.
    fn start_with(extra: impl FnOnce(u16) -> Vec<std::ffi::OsString>, base: &str) -> Self {
        let data = tempfile::tempdir().expect("tempdir");
        let port = mpc_session::mpyc::free_port().expect("a free port");
        let process = Command::new(binary("mpc-mediator"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--rate-limit-ip", "0", "--rate-limit-did", "0"])
            .arg("--data-dir")
            .arg(data.path())
            .args(extra(port))
            .env("RUST_LOG", "warn,iroh_relay=error")
            .spawn()
            .expect("mediator starts");
        let url = format!("{base}:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the mediator did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        LoopbackMediator { url, _process: KillOnDrop(process), _data: data }
    }
}

/// A party on this machine: its own keystore, an identity enrolled at the mediator.
#[derive(Debug)]
pub struct Party {
    pub name: String,
    pub did: String,
    pub home: tempfile::TempDir,
    /// A private CA this party trusts (`MPC_ID_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl Party {
    /// # Panics
    /// When the identity cannot be made.
    pub fn new(name: &str, mediator: &str) -> Self {
        Self::trusting(name, mediator, None)
    }

    /// [`Party::new`], trusting the private CA whose root is `ca_file` as well.
    ///
    /// # Panics
    /// When the identity cannot be made.
    pub fn trusting(name: &str, mediator: &str, ca_file: Option<&std::path::Path>) -> Self {
        let home = tempfile::tempdir().expect("home");
        let party = Party { name: name.to_owned(), did: String::new(), home, ca_file: ca_file.map(Into::into) };
        let output = party.mpc_id().args(["new", "-n", name, "--json", "--mediator", mediator]).output().expect("new");
        assert!(output.status.success(), "mpc-id new: {}", String::from_utf8_lossy(&output.stderr));
        let record: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        Party { did: record["did"].as_str().expect("did").to_owned(), ..party }
    }

    /// `mpc-id` as this party.
    pub fn mpc_id(&self) -> Command {
        let mut command = Command::new(binary("mpc-id"));
        command
            .env("MPC_ID_HOME", self.home.path())
            .env("MPC_ID_PASSPHRASE", PASSPHRASE)
            .env("MPC_ID_IDENTITY", &self.name)
            .env_remove("RUST_LOG")
            .env_remove("MPC_ID_CA_FILE");
        if let Some(ca) = &self.ca_file {
            command.env("MPC_ID_CA_FILE", ca);
        }
        command
    }
}

/// `mpc-id session create` by `host` (a prepared command); returns the invitation URL.
///
/// # Panics
/// When it fails.
pub fn create(mut host: Command, parties: usize, name: &str, program: &str, extra: &[&str]) -> String {
    let output = host
        .args(["session", "create", "--parties", &parties.to_string(), "--name", name, "--url", "--python", &python()])
        .arg("--program")
        .arg(self::program(program))
        .args(extra)
        .output()
        .expect("session create");
    assert!(output.status.success(), "session create: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `mpc-id session join --yes`; returns the output (which may be a refusal).
pub fn join(mut party: Command, url: &str, program: &str) -> std::process::Output {
    party
        .args(["session", "join", url, "--yes", "--python", &python(), "--program"])
        .arg(self::program(program))
        .output()
        .expect("session join")
}

/// `mpc-id run SESSION -- python PROGRAM`, output captured, in a process group of its own (so
/// that killing it kills the program it started, as when a machine goes down).
pub fn spawn_run(mut party: Command, session: &str, program: &str, extra: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    party
        .args(["run", session, "--startup-timeout", "60s"])
        .args(extra)
        .arg("--")
        .arg(python())
        .arg(self::program(program))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("mpc-id run")
}

/// [`spawn_run`] with this party's own arguments after the program (its private inputs).
pub fn spawn_run_with_inputs(mut party: Command, session: &str, program: &str, inputs: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    party
        .args(["run", session, "--startup-timeout", "60s", "--"])
        .arg(python())
        .arg(self::program(program))
        .args(inputs)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("mpc-id run")
}

pub use mpc_test_support::watched::{Ended, Watched};

/// Waits for every child (reading their output meanwhile), at most `patience`.
///
/// # Panics
/// When one is still running after `patience` (all are killed first).
pub fn wait_all(children: Vec<Child>, patience: Duration) -> Vec<Ended> {
    mpc_test_support::watched::wait_all(children.into_iter().map(Watched::from).collect(), patience)
}

/// [`wait_all`] for runs already watched.
///
/// # Panics
/// As [`wait_all`].
pub fn wait_watched(runs: Vec<Watched>, patience: Duration) -> Vec<Ended> {
    mpc_test_support::watched::wait_all(runs, patience)
}

/// The result lines of an MPyC program's output: without MPyC's log lines.
pub fn results(stdout: &str) -> Vec<String> {
    stdout.lines().filter(|line| !line.starts_with("20") && !line.trim().is_empty()).map(str::to_owned).collect()
}

/// The same program in plain MPyC over loopback TCP, one process per party: the reference output
/// (party 0's).
///
/// # Panics
/// When it fails.
pub fn plain_results(program: &str, parties: usize) -> Vec<String> {
    // One process per party on ports held for them, not MPyC's `-M` alone: that uses the fixed
    // ports 11365 and up, which anything else on the machine may hold (CI saw a test's mediator
    // on 11367, and the plain run waited for its party 2 forever).
    let held: Vec<_> = (0..parties).map(|_| mpc_session::mpyc::reserve_port().expect("a free port")).collect();
    let runs: Vec<Child> = (0..parties)
        .map(|i| {
            let mut command = Command::new(python());
            command.arg(self::program(program)).args(["-I", &i.to_string()]);
            for port in &held {
                command.args(["-P", &format!("127.0.0.1:{}", port.port())]);
            }
            command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("plain MPyC run")
        })
        .collect();
    let ended = wait_all(runs, Duration::from_secs(180));
    for run in &ended {
        assert_eq!(run.code, Some(0), "plain run: {}", run.stderr);
    }
    results(&ended[0].stdout)
}

/// Waits until the program a run launches is running (a process in the run's group whose
/// command line names `program`).
///
/// # Panics
/// When that does not happen before `deadline`.
pub fn wait_for_launch(run: &Watched, program: &str, deadline: Instant) {
    loop {
        let found = Command::new("pgrep")
            .args(["-g", &run.id().to_string(), "-f", program])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return;
        }
        assert!(Instant::now() < deadline, "{program} did not start: {}", run.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGKILL to a run and everything it started (its process group), as a machine going down.
///
/// # Panics
/// When `kill` fails.
pub fn kill_group(run: impl Into<Watched>) -> Ended {
    let run = run.into();
    let status = Command::new("kill").args(["-KILL", "--", &format!("-{}", run.id())]).status().expect("kill");
    assert!(status.success(), "kill failed");
    run.kill()
}

/// SIGINT to a run alone (its program is left to it), as a user pressing Ctrl-C would send
/// to `mpc-id`.
///
/// # Panics
/// When `kill` fails.
pub fn interrupt(run: &Watched) {
    let sent = Command::new("kill").args(["-INT", &run.id().to_string()]).status().expect("kill");
    assert!(sent.success(), "kill -INT failed");
}
