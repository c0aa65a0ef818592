//! The MPyC version check of `mpc-id run` and `session create`: it reports the version of the
//! MPyC that `import mpyc` would load, without importing it when the package states its version
//! in a line of its own, and says how to install MPyC when there is none.

use std::path::Path;

use mpc_id_e2e::python_for;
use mpc_session::mpyc::{self, VersionCheck};

/// An interpreter that is the test environment's Python with `packages` first on its path.
fn python_with(packages: &Path, dir: &Path) -> String {
    let script =
        format!("#!/bin/sh\nPYTHONPATH='{}' exec '{}' \"$@\"\n", packages.display(), python_for("mpyc").display());
    shell_script(&dir.join("python"), &script)
}

/// An executable shell script at `path`; returns the path.
fn shell_script(path: &Path, script: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.display().to_string()
}

/// A package `mpyc` whose `__init__.py` is `source`.
fn fake_mpyc(dir: &Path, source: &str) -> std::path::PathBuf {
    let packages = dir.join("packages");
    std::fs::create_dir_all(packages.join("mpyc")).expect("mkdir");
    std::fs::write(packages.join("mpyc/__init__.py"), source).expect("write");
    packages
}

#[tokio::test]
async fn the_installed_mpyc_reports_what_importing_it_says() {
    let python = python_for("mpyc").display().to_string();
    let output = std::process::Command::new(&python)
        .args(["-c", "import mpyc; print(mpyc.__version__)"])
        .output()
        .expect("python");
    let imported = String::from_utf8_lossy(&output.stdout).lines().last().unwrap_or_default().trim().to_owned();
    assert!(!imported.is_empty(), "the test environment has MPyC");
    assert_eq!(mpyc::version(&python).await.expect("version"), imported);
}

#[tokio::test]
async fn the_version_line_is_read_without_importing_the_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Importing this package fails: the check must not import it.
    let packages = fake_mpyc(dir.path(), "__version__ = '9.8.7'\nraise RuntimeError('imported')\n");
    let python = python_with(&packages, dir.path());
    assert_eq!(VersionCheck::start(&python).finish().await.expect("version"), "9.8.7");
}

/// Only a line of its own at the module's top level, `__version__ = '...'` (either quotes, a
/// comment after it) is read; a version set under a condition, or not a plain string, is what
/// importing the package says.
#[tokio::test]
async fn only_a_plain_version_line_is_read() {
    for (source, version) in [
        ("\"\"\"MPyC.\"\"\"\n__version__ = \"0.11\"  # the release\nraise RuntimeError('imported')\n", "0.11"),
        ("if True:\n    __version__ = '1.0'\n__version__ = '2.0' if True else '1.0'\n", "2.0"),
        ("__version__ = 'a\\'b'\n__version__ = '3.0'\n", "3.0"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let python = python_with(&fake_mpyc(dir.path(), source), dir.path());
        assert_eq!(VersionCheck::start(&python).finish().await.expect("version"), version, "{source}");
    }
}

#[tokio::test]
async fn a_version_computed_at_import_is_found_by_importing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let packages = fake_mpyc(dir.path(), "__version__ = '.'.join(['1', '2'])\n");
    let python = python_with(&packages, dir.path());
    assert_eq!(VersionCheck::start(&python).finish().await.expect("version"), "1.2");
}

#[tokio::test]
async fn an_interpreter_without_mpyc_is_told_how_to_install_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A Python that finds no `mpyc` anywhere: isolated mode ignores PYTHONPATH and user packages.
    let python = shell_script(&dir.path().join("python"), "#!/bin/sh\nexec python3 -I \"$@\"\n");
    let error = VersionCheck::start(&python).finish().await.expect_err("no MPyC there").to_string();
    assert!(error.contains("cannot import MPyC"), "{error}");
    assert!(error.contains("pip install mpyc"), "{error}");
    assert!(error.contains("No module named 'mpyc'"), "{error}");
    let missing = VersionCheck::start("/nonexistent/python3").finish().await.expect_err("no interpreter").to_string();
    assert!(missing.contains("cannot start `/nonexistent/python3`"), "{missing}");
}
