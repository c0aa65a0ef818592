//! The README is a test: its three-party walkthrough runs verbatim (with `mpc-id` on PATH and a
//! `python3` that has MPyC, as after installing), and its quick start names a binary that exists,
//! so the page a newcomer follows cannot drift from the tool.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The body of the first fenced `sh` block after `heading`.
fn block_after(readme: &str, heading: &str) -> String {
    let from = readme.find(heading).unwrap_or_else(|| panic!("README has no {heading:?}"));
    let rest = &readme[from..];
    let start = rest.find("```sh\n").unwrap_or_else(|| panic!("no sh block after {heading:?}")) + "```sh\n".len();
    let end = rest[start..].find("```").expect("the block ends");
    rest[start..start + end].to_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn the_three_party_walkthrough_runs_as_written() {
    let root = mpc_id_e2e::workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(readme.lines().count() <= 250, "README.md is a newcomer's page: at most 250 lines");
    let script = block_after(&readme, "## Three parties, one machine");

    // A fresh directory as the repository's root would be to a newcomer: the programs, nothing
    // else; mpc-id and an MPyC Python on PATH.
    let cwd = tempfile::tempdir().expect("tempdir");
    copy_dir(&root.join("programs"), &cwd.path().join("programs"));
    let bin = mpc_test_support::binary("mpc-id").parent().expect("bin dir").to_owned();
    let python = PathBuf::from(mpc_id_e2e::session::python());
    let venv = python.parent().expect("venv bin").to_owned();
    let path = std::env::join_paths(
        [bin, venv].into_iter().chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(cwd.path())
        .env("PATH", path)
        .env("HOME", cwd.path())
        .env_remove("MPC_ID_HOME")
        .env_remove("MPC_ID_PASSPHRASE")
        .env_remove("MPC_ID_IDENTITY")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("bash");
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            panic!("the walkthrough did not finish within 240 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = child.wait_with_output().expect("output");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the walkthrough failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.matches("sum: 2182938").count(), 3, "each party prints the sum, as the README says: {stdout}");
    assert!(readme.contains("`sum: 2182938`"), "the README states the result it prints");
}

#[test]
fn the_quick_start_names_a_binary_of_the_workspace() {
    let readme = std::fs::read_to_string(mpc_id_e2e::workspace_root().join("README.md")).expect("README.md");
    let quick = block_after(&readme, "## Quick start");
    let run = quick.lines().find(|l| l.starts_with("cargo run")).expect("a cargo run line");
    let words: Vec<&str> = run.split_whitespace().collect();
    let bin = words.iter().position(|w| *w == "--bin").map(|i| words[i + 1]).expect("cargo run names its --bin");
    mpc_test_support::binary(bin);
    assert!(words.contains(&"demo"), "{run}");
}
