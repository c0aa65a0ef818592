//! A hostile session host against the parties who join: real `mpc-id` processes and a real
//! mediator on loopback. Whatever the host writes into its session (its name above all), a
//! joiner's shared program is saved only under a directory the joiner names or mpc-id's own
//! place, created fresh; and nothing the host wrote reaches the joiner's terminal unescaped.

use std::path::Path;

use mpc_id_e2e::session::{self, LoopbackMediator, Party, files_under};

/// Everything under `dir`, as paths relative to it.
fn listing(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> =
        files_under(dir).iter().map(|path| path.strip_prefix(dir).unwrap_or(path).display().to_string()).collect();
    found.sort();
    found
}

#[test]
fn a_hosts_session_name_picks_no_path_and_cannot_restyle_the_joiners_terminal() {
    let mediator = LoopbackMediator::start();
    let host = Party::new("mallory", &mediator.url);
    let joiner = Party::new("bob", &mediator.url);
    let places = tempfile::tempdir().expect("places");
    let cwd = places.path().join("cwd");
    let existing = places.path().join("existing");
    std::fs::create_dir_all(cwd.join("gone")).expect("cwd");
    std::fs::create_dir_all(&existing).expect("existing");
    std::fs::write(existing.join("keep.txt"), "the user's own file").expect("keep");

    // Names that, taken as paths, write elsewhere: absolute, and climbing out of the working
    // directory into one that exists; each with terminal escapes and a bidi override.
    let names = [
        format!("{}\x1b[2K\x1b[1A", places.path().join("absolute").display()),
        "gone/../../existing\u{202e}txt.exe".to_owned(),
    ];
    for name in &names {
        let url = session::create(host.mpc_id(), 2, name, "sum_bundle", &["--share-program"]);
        let joined = joiner
            .mpc_id()
            .current_dir(&cwd)
            .args(["session", "join", &url, "--yes", "--python", &session::python()])
            .output()
            .expect("join");
        let stderr = String::from_utf8_lossy(&joined.stderr);
        let stdout = String::from_utf8_lossy(&joined.stdout);
        assert!(joined.status.success(), "join: {stderr}");
        for (stream, text) in [("stderr", &stderr), ("stdout", &stdout)] {
            assert!(
                !text.contains('\x1b') && !text.contains('\u{202e}'),
                "the host's control characters reached the joiner's {stream}: {text:?}"
            );
        }
        assert!(stderr.contains("\\u{1b}") || stderr.contains("\\u{202e}"), "shown escaped: {stderr}");

        let status = joiner.mpc_id().args(["session", "status"]).output().expect("status");
        let shown = String::from_utf8_lossy(&status.stdout);
        assert!(!shown.contains('\x1b') && !shown.contains('\u{202e}'), "status: {shown:?}");
    }

    // Nothing was written outside mpc-id's own place: the working directory holds only what the
    // test made, the existing directory only the user's file, no `absolute` directory appeared.
    assert_eq!(listing(&cwd), Vec::<String>::new(), "files appeared in the working directory");
    assert_eq!(listing(&existing), ["keep.txt"], "files appeared in an existing directory");
    assert_eq!(std::fs::read_to_string(existing.join("keep.txt")).expect("keep"), "the user's own file");
    let everything = listing(places.path());
    assert_eq!(everything, ["existing/keep.txt"], "files appeared outside mpc-id's place: {everything:?}");

    // Both bundles are under <home>/programs/<session id>/, one directory each.
    let programs = joiner.home.path().join("programs");
    let saved = listing(&programs);
    assert_eq!(saved.iter().filter(|p| p.ends_with("/__main__.py")).count(), 2, "{saved:?}");
    for path in &saved {
        let session = path.split('/').next().unwrap_or_default();
        assert!(session.len() == 32 && session.bytes().all(|b| b.is_ascii_hexdigit()), "{path}");
    }
}

#[test]
fn a_program_directory_the_joiner_names_must_be_new() {
    let mediator = LoopbackMediator::start();
    let host = Party::new("alice", &mediator.url);
    let joiner = Party::new("bob", &mediator.url);
    let url = session::create(host.mpc_id(), 2, "shared", "sum_bundle", &["--share-program"]);
    let places = tempfile::tempdir().expect("places");
    // An existing, empty directory is not reused either (another program could be planted
    // there between the check and the write); the joiner is told to name a new one.
    let existing = places.path().join("existing");
    std::fs::create_dir(&existing).expect("dir");
    let refused = joiner
        .mpc_id()
        .args(["session", "join", &url, "--yes", "--python", &session::python(), "--program-dir"])
        .arg(&existing)
        .output()
        .expect("join");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "joined into an existing directory: {stderr}");
    assert!(stderr.contains("already exists") && stderr.contains("--program-dir"), "{stderr}");
    assert_eq!(listing(&existing), Vec::<String>::new());
}

/// A bundle in a new directory under `parent`: `files` as (name, text).
fn bundle(parent: &Path, name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir(&dir).expect("bundle dir");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("bundle file");
    }
    dir
}

/// `--show-program` prints every file of a shared program in full before the party agrees,
/// with what a terminal must not see escaped; declining saves nothing.
#[test]
fn a_joiner_reads_the_shared_program_in_full_before_agreeing() {
    let mediator = LoopbackMediator::start();
    let host = Party::new("alice", &mediator.url);
    let joiner = Party::new("bob", &mediator.url);
    let places = tempfile::tempdir().expect("places");
    let main = "from helper import x\nprint(x)\t# \x1b]0;a new title\x07\n";
    let program = bundle(places.path(), "shown", &[("__main__.py", main), ("helper.py", "x = 41 + 1\n")]);
    let url = session::create(host.mpc_id(), 2, "read first", &program.display().to_string(), &["--share-program"]);
    // No terminal to answer and no --yes: shown, then not joined.
    let shown = joiner
        .mpc_id()
        .args(["session", "join", &url, "--show-program", "--python", &session::python()])
        .output()
        .expect("join");
    let stderr = String::from_utf8_lossy(&shown.stderr);
    assert!(!shown.status.success() && stderr.contains("not joined"), "{stderr}");
    assert!(stderr.contains("---- helper.py (11 bytes) ----\nx = 41 + 1\n"), "the helper in full: {stderr}");
    assert!(stderr.contains("from helper import x\nprint(x)\t# \\u{1b}]0;a new title\\u{7}\n"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "a raw escape reached the terminal: {stderr:?}");
    assert!(!joiner.home.path().join("programs").exists(), "saved before agreeing");
}

/// A host with roles shares one bundle per role; a party fetches and saves its own role's.
#[test]
fn a_shared_program_per_role_reaches_the_parties_of_that_role() {
    let mediator = LoopbackMediator::start();
    let host = Party::new("alice", &mediator.url);
    let joiner = Party::new("bob", &mediator.url);
    let places = tempfile::tempdir().expect("places");
    let first = bundle(places.path(), "first", &[("__main__.py", "print('the first role')\n")]);
    let second = bundle(places.path(), "second", &[("__main__.py", "print('the second role')\n")]);
    let created = host
        .mpc_id()
        .args(["session", "create", "--parties", "2", "--name", "roles", "--url", "--python", &session::python()])
        .arg("--role")
        .arg(format!("first={}", first.display()))
        .arg("--role")
        .arg(format!("second={}", second.display()))
        .arg("--share-program")
        .output()
        .expect("create");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let url = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    // Without a role: the commands to paste, which need no program of the joiner's.
    let hint = joiner.mpc_id().args(["session", "join", &url, "--yes"]).output().expect("join");
    let stderr = String::from_utf8_lossy(&hint.stderr);
    assert!(!hint.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("'{url}' --role second\n")) && !stderr.contains("--program"), "{stderr}");
    let saved = places.path().join("saved");
    let joined = joiner
        .mpc_id()
        .args(["session", "join", &url, "--role", "second", "--yes", "--python", &session::python(), "--program-dir"])
        .arg(&saved)
        .output()
        .expect("join");
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    assert_eq!(listing(&saved), ["__main__.py"]);
    assert_eq!(std::fs::read_to_string(saved.join("__main__.py")).expect("saved"), "print('the second role')\n");
}
