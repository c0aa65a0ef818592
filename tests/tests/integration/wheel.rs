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

/// The source distribution builds with cargo into a wheel that installs and runs: what pip does
/// on a platform without a published wheel. (The debug profile and this workspace's target
/// directory keep the build to the crates already compiled for the tests.)
#[test]
fn the_sdist_builds_from_source_with_cargo() {
    let root = mpc_id_e2e::workspace_root();
    let builder = std::env::var_os("MPC_ID_VENV")
        .map(|venv| PathBuf::from(format!("{}-wheel", venv.to_string_lossy())))
        .unwrap_or_else(|| root.join(".venv-wheel"));
    if !builder.join("bin/maturin").is_file() {
        assert!(std::env::var_os(REQUIRE_WHEEL_VAR).is_none(), "no maturin in {}", builder.display());
        eprintln!("SKIPPED: no maturin in {} (scripts/test installs it)", builder.display());
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let sdist = Command::new(builder.join("bin/maturin"))
        .args(["sdist", "--out"])
        .arg(dir.path())
        .current_dir(&root)
        .output()
        .expect("maturin sdist");
    assert!(sdist.status.success(), "maturin sdist: {}", String::from_utf8_lossy(&sdist.stderr));
    let archive = std::fs::read_dir(dir.path())
        .expect("sdist dir")
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.to_string_lossy().ends_with(".tar.gz"))
        .expect("an sdist");
    // pip unpacks it elsewhere and builds it with maturin, which runs cargo.
    let path = format!("{}:{}", builder.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let built = Command::new(builder.join("bin/pip"))
        .args(["wheel", "--quiet", "--no-build-isolation", "--no-deps", "--disable-pip-version-check", "-w"])
        .arg(dir.path().join("wheels"))
        .arg(&archive)
        .env("PATH", &path)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("MATURIN_PEP517_ARGS", "--profile dev")
        .output()
        .expect("pip wheel");
    assert!(built.status.success(), "pip wheel of the sdist: {}", String::from_utf8_lossy(&built.stderr));
    let wheel = std::fs::read_dir(dir.path().join("wheels")).expect("wheels").flatten().next().expect("a wheel");
    // maturin leaves a copy in the target directory's `wheels/` as well, where the published-wheel
    // test looks for scripts/wheel's: not ours to leave there.
    let _ = std::fs::remove_file(root.join("target/wheels").join(wheel.file_name()));
    let venv = dir.path().join("venv");
    assert!(Command::new("python3").args(["-m", "venv"]).arg(&venv).status().expect("venv").success());
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "--no-deps"])
        .arg(wheel.path())
        .output()
        .expect("pip install");
    assert!(pip.status.success(), "{}", String::from_utf8_lossy(&pip.stderr));
    let version = Command::new(venv.join("bin/mpc-id")).arg("--version").output().expect("mpc-id --version");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("mpc-id "), "{version:?}");
}
