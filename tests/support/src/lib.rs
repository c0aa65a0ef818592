//! Helpers the workspace's tests and benches share, written once: a child process killed when
//! dropped, free ports, the workspace's built binaries, `mpc-id` with a keystore of its own,
//! plain HTTP clients for loopback services, the test PostgreSQL server (skipped loudly when
//! none is given), a private CA ([`pki`]), Pebble, an ACME CA for tests ([`pebble`]), and processes whose output a test can wait on
//! ([`watched`]).
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]

pub mod pebble;
pub mod pki;
pub mod watched;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

/// The passphrase of every identity tests create (tests only: it is in the source).
pub const PASSPHRASE: &str = "correct horse battery staple";

/// The environment variable that names the test PostgreSQL server (`scripts/test-postgres`
/// prints one), as an URL under which databases may be created.
pub const POSTGRES_URL_VAR: &str = "MPC_ID_TEST_POSTGRES_URL";

/// Set (by `scripts/test`) to make a missing PostgreSQL server a failure instead of a skip.
pub const REQUIRE_POSTGRES_VAR: &str = "MPC_ID_REQUIRE_POSTGRES";

/// A child process killed when dropped, so a failing test leaves no server behind.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the usual race: a test that needs it held
/// binds it itself).
///
/// # Panics
/// When no port can be bound at all.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A binary of this workspace from the same target directory as the running test or bench
/// (nextest builds every binary first; for benches, `cargo build --release --bins`).
///
/// # Panics
/// When it is not built.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    // target/<profile>/deps/<test> or target/<profile>/<bench>: the profile directory holds the
    // binaries.
    let dir = exe.parent().expect("a directory");
    let dir = if dir.ends_with("deps") { dir.parent().expect("target/<profile>") } else { dir };
    let path = dir.join(name);
    assert!(path.exists(), "{} is not built (build the workspace's binaries first)", path.display());
    path
}

/// `mpc-id` (the binary at `exe`) with `home` as its keystore, [`PASSPHRASE`] for every identity,
/// and no identity or log level taken from the caller's environment.
pub fn mpc_id(exe: impl AsRef<Path>, home: &Path) -> Command {
    let mut command = Command::new(exe.as_ref());
    command
        .env("MPC_ID_HOME", home)
        .env("MPC_ID_PASSPHRASE", PASSPHRASE)
        .env_remove("MPC_ID_IDENTITY")
        .env_remove("MPC_ID_CA_FILE")
        .env_remove("RUST_LOG");
    command
}

/// A plain HTTP client for services on loopback (TLS through ring, the workspace's provider).
///
/// # Panics
/// When the client cannot be built.
pub fn http() -> reqwest::Client {
    install_ring();
    reqwest::Client::new()
}

/// A plain HTTP client whose connections come from `from` (one of 127.0.0.0/8, to play a
/// distinct client), with a deadline per request.
///
/// # Panics
/// When the client cannot be built.
pub fn http_from(from: IpAddr, timeout: Duration) -> reqwest::Client {
    install_ring();
    reqwest::Client::builder().local_address(from).timeout(timeout).build().expect("HTTP client")
}

/// The JSON a GET of `url` answers (on loopback, in tests).
///
/// # Panics
/// When the request fails or the answer is not JSON.
pub async fn get_json(url: &str) -> serde_json::Value {
    http().get(url).send().await.expect("GET").json().await.expect("a JSON answer")
}

/// The text a GET of `url` answers (on loopback, in tests).
///
/// # Panics
/// When the request fails or the answer is not text.
pub async fn get_text(url: &str) -> String {
    http().get(url).send().await.expect("GET").text().await.expect("a text answer")
}

/// ring as the process's rustls provider, which reqwest (built without a provider of its own)
/// asks for.
fn install_ring() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The test PostgreSQL server's admin URL, or `None` after saying loudly that PostgreSQL is
/// skipped (so `cargo test` without a server runs everything else).
///
/// # Panics
/// When none is given but [`REQUIRE_POSTGRES_VAR`] is set (as `scripts/test` does): there a skip
/// would hide a failure.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os(REQUIRE_POSTGRES_VAR).is_some() => {
            panic!("{POSTGRES_URL_VAR} is not set but {REQUIRE_POSTGRES_VAR} is: {test} needs PostgreSQL")
        }
        _ => {
            eprintln!(
                "SKIPPED {test}: no PostgreSQL server ({POSTGRES_URL_VAR} is not set; scripts/test starts one, \
                 or set it to a server where databases may be created)"
            );
            None
        }
    }
}

/// Set to the headless browser the page tests drive (default: `chromium` on `PATH`).
pub const CHROMIUM_VAR: &str = "MPC_ID_CHROMIUM";
/// Set (as `scripts/test` does, after installing one) to fail instead of skip without a browser.
pub const REQUIRE_BROWSER_VAR: &str = "MPC_ID_REQUIRE_BROWSER";

/// The headless browser for the page tests, or `None` after saying loudly that `test` is skipped.
///
/// # Panics
/// When there is none but [`REQUIRE_BROWSER_VAR`] is set: there a skip would hide a failure.
pub fn chromium(test: &str) -> Option<PathBuf> {
    let candidate = std::env::var_os(CHROMIUM_VAR).map(PathBuf::from).or_else(|| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
                .find(|candidate| candidate.is_file())
        })
    });
    match candidate {
        Some(browser) => Some(browser),
        None if std::env::var_os(REQUIRE_BROWSER_VAR).is_some() => {
            panic!("no chromium on PATH (nor {CHROMIUM_VAR}) but {REQUIRE_BROWSER_VAR} is set: {test} needs a browser")
        }
        None => {
            eprintln!("SKIPPED {test}: no headless browser (install chromium; scripts/test does)");
            None
        }
    }
}

/// What headless `browser` makes of `url` once its scripts ran: the DOM, serialised.
///
/// # Panics
/// When the browser cannot be started or fails.
pub fn rendered_dom(browser: &Path, url: &str) -> String {
    let output = std::process::Command::new(browser)
        .args(headless_args())
        .args(["--virtual-time-budget=10000", "--dump-dom", url])
        .output()
        .expect("start the browser");
    assert!(output.status.success(), "the browser failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A screenshot of `url` at a phone's size (390 x 844 CSS pixels), as PNG at `path`.
///
/// # Panics
/// When the browser cannot be started or fails.
pub fn screenshot(browser: &Path, url: &str, path: &Path) {
    let output = std::process::Command::new(browser)
        .args(headless_args())
        .arg("--virtual-time-budget=10000")
        .arg("--window-size=390,844")
        .arg(format!("--screenshot={}", path.display()))
        .arg(url)
        .output()
        .expect("start the browser");
    assert!(output.status.success(), "the browser failed: {}", String::from_utf8_lossy(&output.stderr));
}

fn headless_args() -> [&'static str; 6] {
    // No sandbox: the tests may run as root, where chromium refuses its sandbox.
    ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars"]
}

/// Resident set size of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:").and_then(|v| v.trim().trim_end_matches(" kB").parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU time (user + system) a process has used so far, in microseconds .
pub fn cpu_micros(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) * 1_000_000 / 100
}
