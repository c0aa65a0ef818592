//! A Python with the MPyC a session runs, made by mpc-id when the user's has none (or another
//! version), so that nothing has to be installed by hand.
//!
//! It is a virtual environment under mpc-id's data directory, `python/mpyc-<version>/`, made
//! with the user's own Python (`-m venv`) and given exactly `mpyc==<version>` by pip, from wheels
//! only (an sdist would run its build code), and MPyC's optional speed-ups, numpy, gmpy2 and uvloop, where
//! the platform has wheels for them (without them MPyC still runs: their absence is a note). The version comes from a session offer, which the
//! host chose: only plain release numbers are accepted, so it can never become another pip
//! argument. The environment is built in a scratch directory beside the final one and renamed
//! into place once MPyC imports, so a failed or interrupted install leaves nothing half made,
//! and two parties provisioning at once both end with a whole one.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::error::{Error, Result};
use crate::mpyc;

/// The MPyC version mpc-id installs when nothing says which (a new session's host, the demo).
pub const PINNED_MPYC: &str = "0.11";

/// The longest an install may take, download included.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// The interpreter of mpc-id's own environment for MPyC `version` under `home` (made or not).
pub fn python_for(home: &Path, version: &str) -> PathBuf {
    environment(home, version).join("bin").join("python")
}

fn environment(home: &Path, version: &str) -> PathBuf {
    home.join("python").join(format!("mpyc-{version}"))
}

/// A release number, as MPyC's are: `0.11`, `0.10.1`.
fn check_version(version: &str) -> Result<()> {
    let parts: Vec<&str> = version.split('.').collect();
    let plain = (1..=4).contains(&parts.len())
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    if plain {
        Ok(())
    } else {
        Err(Error::Command(format!("MPyC version {version:?} is not a plain release number; not installing it")))
    }
}

/// mpc-id's Python with MPyC `version` under `home`: the one made earlier, or a new one made
/// now with `base` (the user's Python). `progress` hears each step, pip's lines included.
pub async fn ensure(home: &Path, base: &str, version: &str, mut progress: impl FnMut(&str)) -> Result<PathBuf> {
    check_version(version)?;
    let python = python_for(home, version);
    if python.exists() {
        match mpyc::version(&python.display().to_string()).await {
            Ok(found) if found == version => return Ok(python),
            // Broken (its base Python was removed, say): made again below.
            _ => {
                progress(&format!("mpc-id's Python for MPyC {version} no longer works; making it again"));
                let _ = std::fs::remove_dir_all(environment(home, version));
            }
        }
    }
    let target = environment(home, version);
    let parent = target.parent().unwrap_or(home);
    std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
    let scratch = tempfile::Builder::new()
        .prefix(&format!(".mpyc-{version}-"))
        .tempdir_in(parent)
        .map_err(|e| Error::io("creating a directory in", parent, e))?;
    // Made here and moved into place whole: a virtual environment works moved when run as
    // `bin/python` (only its entry scripts, which mpc-id never uses, name the old path).
    let building = scratch.path().join("env");
    progress(&format!("making a Python environment for MPyC {version} in {} (once)", target.display()));
    let venv = tokio::process::Command::new(base)
        .arg("-m")
        .arg("venv")
        .arg(&building)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| Error::Command(format!("cannot start `{base}` to make a Python environment: {e}")))?;
    if !venv.status.success() {
        let said = String::from_utf8_lossy(&venv.stdout).to_string() + &String::from_utf8_lossy(&venv.stderr);
        return Err(Error::Command(format!(
            "`{base} -m venv` failed{}: {}",
            if said.contains("ensurepip") { " (on Debian and Ubuntu: apt install python3-venv)" } else { "" },
            said.trim().lines().last().unwrap_or("no output")
        )));
    }
    progress(&format!("installing MPyC {version} with pip"));
    let built_python = building.join("bin").join("python");
    if let Err(complaint) = pip_install(&built_python, &[&format!("mpyc=={version}")], &mut progress).await {
        return Err(Error::Command(format!(
            "pip could not install MPyC {version} ({complaint}); install it yourself with \
             `{base} -m pip install mpyc=={version}` and give that Python with --python"
        )));
    }
    let found = mpyc::version(&built_python.display().to_string()).await?;
    if found != version {
        return Err(Error::Command(format!("pip installed MPyC {found}, not {version}")));
    }
    // MPyC's optional speed-ups (and what several of its demos import), where this platform has
    // wheels for them: MPyC runs without them, so a failure is a note, not an error.
    progress(&format!("installing MPyC's optional speed-ups ({}) with pip", SPEED_UPS.join(", ")));
    let extras = pip_install(&built_python, SPEED_UPS, &mut progress).await;
    if let Err(complaint) = extras {
        progress(&format!(
            "{} not installed ({complaint}); MPyC runs without them. Add them later with \
             `{} -m pip install {}`",
            SPEED_UPS.join(" and "),
            python.display(),
            SPEED_UPS.join(" ")
        ));
    }
    // Into place; if another process got there first, its environment is as good as ours.
    match std::fs::rename(&building, &target) {
        Ok(()) => {}
        Err(_) if python.exists() => {}
        Err(e) => return Err(Error::io("moving into place", &target, e)),
    }
    drop(scratch);
    progress(&format!("MPyC {version} is ready: {}", python.display()));
    Ok(python)
}

/// Installed beside MPyC where wheels exist: gmpy2 speeds up its integer arithmetic, numpy its
/// arrays (and 5 of its 19 demos need it), uvloop its event loop (MPyC runs on it when installed;
/// its TLS layer is compiled, which the parties' direct connections use for every message).
const SPEED_UPS: &[&str] = &["numpy", "gmpy2", "uvloop"];

/// `pip install` of `requirements` (wheels only: nothing built, no sdist's code run) into the
/// environment of `python`, each line of pip's output to `progress`; pip's last complaint when
/// it fails.
async fn pip_install(
    python: &Path,
    requirements: &[&str],
    progress: &mut impl FnMut(&str),
) -> std::result::Result<(), String> {
    let mut pip = tokio::process::Command::new(python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--only-binary", ":all:"])
        .args(["--timeout", "30", "--progress-bar", "off"])
        .args(requirements)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start pip with {}: {e}", python.display()))?;
    let (Some(stdout), Some(stderr)) = (pip.stdout.take(), pip.stderr.take()) else {
        return Err("pip's output could not be read".into());
    };
    let mut complaint = String::new();
    let install = async {
        let mut out = BufReader::new(stdout).lines();
        let mut err = BufReader::new(stderr).lines();
        let (mut out_open, mut err_open) = (true, true);
        while out_open || err_open {
            tokio::select! {
                line = out.next_line(), if out_open => match line {
                    Ok(Some(line)) if !line.trim().is_empty() => progress(&format!("pip: {}", line.trim())),
                    Ok(Some(_)) => {}
                    _ => out_open = false,
                },
                line = err.next_line(), if err_open => match line {
                    Ok(Some(line)) if !line.trim().is_empty() => complaint = line.trim().to_owned(),
                    Ok(Some(_)) => {}
                    _ => err_open = false,
                },
            }
        }
        pip.wait().await
    };
    match tokio::time::timeout(INSTALL_TIMEOUT, install).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(_)) => Err(complaint),
        Ok(Err(e)) => Err(format!("waiting for pip: {e}")),
        Err(_) => Err(format!("the install took over {INSTALL_TIMEOUT:?}; gave up")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_release_numbers_are_installed() {
        for good in ["0.11", "0.10.1", "1", "2024.1.2.3"] {
            assert!(check_version(good).is_ok(), "{good}");
        }
        for bad in ["", "0.11 --index-url=http://x", "0.11;rm", "==0.11", "0..11", "0.11a1", "1.2.3.4.5", "../0.11"] {
            let err = check_version(bad).expect_err(bad).to_string();
            assert!(err.contains("not a plain release number"), "{err}");
        }
    }
}
