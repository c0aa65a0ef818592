//! `pip install mpc-id`: the wheel `scripts/wheel` builds, installed into a fresh virtual
//! environment with no Rust anywhere on PATH, runs the demo, and the demo's MPyC runs with that
//! environment's Python (MPyC came in as the wheel's dependency; nothing else is provisioned).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Set (by `scripts/test`, which builds the wheel first) to fail instead of skip without one.
const REQUIRE_WHEEL_VAR: &str = "MPC_ID_REQUIRE_WHEEL";

fn the_wheel() -> Option<PathBuf> {
    let dir = mpc_id_e2e::workspace_root().join("target/wheels");
    let mut wheels: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "whl"))
        .collect();
    wheels.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
    wheels.pop()
}

#[test]
fn the_wheel_installs_into_a_fresh_venv_and_runs_the_demo_without_rust() {
    let Some(wheel) = the_wheel() else {
        assert!(std::env::var_os(REQUIRE_WHEEL_VAR).is_none(), "no wheel in target/wheels (scripts/wheel builds it)");
        eprintln!("SKIPPED: no wheel in target/wheels (build one with scripts/wheel --profile dev)");
        return;
    };
    let name = wheel.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
    assert!(name.starts_with("mpc_id-") && name.contains("manylinux"), "an honest platform tag: {name}");
    let dir = tempfile::tempdir().expect("tempdir");
    let venv = dir.path().join("venv");
    let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().expect("python3 -m venv");
    assert!(made.success());
    // No cargo, no rustc: only the system's and the environment's programs.
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", venv.join("bin").display());
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(&wheel)
        .env("PATH", &path)
        .output()
        .expect("pip");
    assert!(pip.status.success(), "pip install {name}: {}", String::from_utf8_lossy(&pip.stderr));
    let installed = venv.join("bin/mpc-id");
    assert!(installed.is_file(), "pip put mpc-id on the environment's PATH");

    let mut demo = Command::new(&installed);
    demo.arg("demo")
        .env_clear()
        .env("PATH", &path)
        .env("HOME", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = demo.spawn().expect("mpc-id demo");
    let ended = mpc_id_e2e::session::wait_all(vec![child], Duration::from_secs(240));
    let run = &ended[0];
    assert_eq!(run.code, Some(0), "the demo from the wheel: {}\n{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("every party's program exited 0"), "{all}");
    assert!(!all.contains("making a Python environment"), "the installed environment's MPyC is used: {all}");
}
