//! Helpers shared by the workspace's end-to-end and interop tests.
#![forbid(unsafe_code)]

pub mod bench;
pub mod netlab;
pub mod session;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python interpreter of the interop virtual environment that `scripts/test` prepares for
/// `script`: `webvh_*` scripts and the API test (`api*`) have their own (see `scripts/test`).
///
/// # Panics
/// When there is none: the interop tests are part of the suite and must not silently pass.
pub fn python_for(script: &str) -> PathBuf {
    let (variable, venv) = if script.starts_with("webvh") {
        ("MPC_ID_PYTHON_WEBVH", ".venv-webvh")
    } else if script.starts_with("api") {
        ("MPC_ID_PYTHON_API", ".venv-api")
    } else {
        ("MPC_ID_PYTHON", ".venv")
    };
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let venv = workspace_root().join(venv).join("bin/python");
    assert!(
        venv.exists(),
        "no Python interop environment: run `scripts/test` (it creates .venv with tests/python/requirements.txt) \
         or set MPC_ID_PYTHON"
    );
    venv
}

/// Runs a script from `tests/python/` with `args`, feeding `stdin`, and parses its stdout as JSON.
///
/// # Panics
/// When the script fails or prints something other than JSON, with its stderr.
pub fn run_python(script: &str, args: &[&str], stdin: &str) -> serde_json::Value {
    run_python_os(script, &args.iter().map(std::ffi::OsStr::new).collect::<Vec<_>>(), stdin)
}

/// [`run_python`] with arguments that may be paths.
///
/// # Panics
/// As [`run_python`].
pub fn run_python_os(script: &str, args: &[&std::ffi::OsStr], stdin: &str) -> serde_json::Value {
    let mut child = Command::new(python_for(script))
        .arg(workspace_root().join("tests/python").join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let output = child.wait_with_output().expect("python runs");
    assert!(output.status.success(), "{script} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("python prints JSON")
}
