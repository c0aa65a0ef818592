//! Which Python runs MPyC when the user names none: the Python of the environment mpc-id was
//! installed into (`pip install mpc-id` puts `mpc-id` beside that environment's `python`, with
//! MPyC as a dependency), else `python3`, when it has the MPyC needed; else mpc-id's own
//! environment with that MPyC (made on first use, saying so; see `mpc_session::provision`). A
//! Python the user names is used as given.

use std::path::Path;

use mpc_session::mpyc;
use mpc_session::provision::{self, PINNED_MPYC};

/// The Python a user gets without asking.
const SYSTEM_PYTHON: &str = "python3";

/// The Python for MPyC `needed` (any version, when `None`: a new session's host, the demo), under
/// mpc-id's data directory `home`.
pub(crate) async fn default_python(home: &Path, needed: Option<&str>) -> anyhow::Result<String> {
    if let Some(beside) = installed_beside()
        && let Ok(found) = mpyc::version(&beside).await
        && needed.is_none_or(|needed| needed == found)
    {
        return Ok(beside);
    }
    let system = mpyc::version(SYSTEM_PYTHON).await;
    let version = match (needed, &system) {
        (None, Ok(_)) => return Ok(SYSTEM_PYTHON.to_owned()),
        (Some(needed), Ok(found)) if found == needed => return Ok(SYSTEM_PYTHON.to_owned()),
        (Some(needed), _) => needed,
        (None, Err(_)) => PINNED_MPYC,
    };
    let why = match system {
        Ok(found) => format!("`{SYSTEM_PYTHON}` has MPyC {found}, the session runs {version}"),
        Err(_) => format!("`{SYSTEM_PYTHON}` has no MPyC"),
    };
    // One per user and MPyC version, whatever the keystore: made once, shared by all of them.
    let shared = shared_root(home);
    let managed = provision::python_for(&shared, version);
    if !managed.exists() {
        eprintln!("[mpc-id] {why}: using a Python environment of mpc-id's own instead");
    }
    let python = provision::ensure(&shared, SYSTEM_PYTHON, version, |line| eprintln!("[mpc-id] {line}")).await?;
    Ok(python.display().to_string())
}

/// The `python` beside this `mpc-id` binary: the environment a wheel was installed into.
fn installed_beside() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    ["python", "python3"].into_iter().map(|name| dir.join(name)).find(|p| p.is_file()).map(|p| p.display().to_string())
}

/// Where mpc-id's own Python environments live: the user's data directory (`mpc-id/python/`),
/// whichever keystore is in use; the keystore's directory where the user has none.
fn shared_root(keystore_home: &Path) -> std::path::PathBuf {
    dirs::data_dir().map(|dir| dir.join("mpc-id")).unwrap_or_else(|| keystore_home.to_owned())
}
