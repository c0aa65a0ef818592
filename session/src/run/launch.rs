//! The program's side of a run: the private directory its sockets and files go in, the
//! launcher it starts through (MPyC's connections on Unix sockets there, its TLS files read from
//! there), and the word that lets the launcher run it.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use mpc_identity::keystore::UnlockedIdentity;

use super::{RunOptions, RunPlan};
use crate::error::{Error, Result};
use crate::mpyc::{self, PortLayout};

/// A fresh directory only this user can enter, for a run's sockets and files; removed when
/// dropped. In the temporary directory, whose path is short: a Unix socket's path must fit in
/// about a hundred bytes, and the sessions' directory is under the user's data directory, which
/// can be long.
pub(super) fn private_run_dir() -> Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let temp = std::env::temp_dir();
    let parent = if temp.as_os_str().len() <= 64 { temp } else { PathBuf::from("/tmp") };
    tempfile::Builder::new()
        .prefix("mpc-id-run-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(&parent)
        .map_err(|e| Error::io("creating a private run directory in", &parent, e))
}

/// Writes the launcher into the run's directory, and with MPyC TLS the `.config/` files MPyC
/// reads, checked against the manifest first; returns the launcher's words for the command line.
fn write_launcher(
    me: &UnlockedIdentity,
    plan: &RunPlan,
    layout: &PortLayout,
    dir: &Path,
    direct: bool,
) -> Result<Vec<String>> {
    if !plan.manifest.mpyc.ssl {
        return mpyc::write_launcher(dir, layout, None, direct);
    }
    let certificates: Vec<String> =
        plan.manifest.parties.iter().map(|p| p.certificate.clone().unwrap_or_default()).collect();
    let own = certificates.get(plan.me).map(String::as_str).unwrap_or_default();
    let key = mpyc::check_certificate(own, plan.me).map_err(|e| Error::bad_manifest(&plan.session, e))?;
    if key != mpyc::tls_public_key(&me.keys, &plan.session) {
        return Err(Error::bad_manifest(&plan.session, "your MPyC certificate in it is not for your key"));
    }
    let key_pem = mpyc::tls_key_pem(&me.keys, &plan.session)?;
    mpyc::write_launcher(dir, layout, Some(mpyc::TlsFiles { key_pem: &key_pem, certificates: &certificates }), direct)
}

/// What lets the launcher run the program (see `mpyc_launcher.py`): one byte on the socket
/// `go` in the run's directory, given once every peer is connected, and never if the run cannot
/// go ahead. Dropping it closes the socket. Before that, a launcher started for direct
/// connections is handed the program's direct port there (one byte carrying the socket), which
/// this process then closes its own copy of.
pub(super) struct Go {
    give: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Go {
    pub(super) fn listen(run_dir: &Path, direct_port: Option<std::net::TcpListener>) -> Result<Go> {
        use tokio::io::AsyncWriteExt;
        let path = mpyc::go_socket(run_dir);
        let listener = tokio::net::UnixListener::bind(&path).map_err(|e| Error::io("listening on", &path, e))?;
        let (give, given) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let Ok((mut launcher, _)) = listener.accept().await else { return };
            if let Some(port) = direct_port {
                let handed = launcher.async_io(tokio::io::Interest::WRITABLE, || hand_over(&launcher, &port)).await;
                if let Err(e) = handed {
                    // The launcher is told there is none; the port closes with this process's
                    // copy, and peers use the tunnels.
                    tracing::warn!(error = %e, "could not hand the direct port to the launcher");
                    let _ = launcher.write_all(b"-").await;
                }
            }
            if given.await.is_ok() {
                let _ = launcher.write_all(b"+").await;
                // Held until the run ends: the launcher reads one byte and closes its end.
                std::future::pending::<()>().await;
            }
        });
        Ok(Go { give: Some(give), task })
    }

    pub(super) fn give(&mut self) {
        if let Some(give) = self.give.take() {
            let _ = give.send(());
        }
    }
}

/// Sends `port` to the launcher on `launcher`: one byte, with the socket as SCM_RIGHTS.
fn hand_over(launcher: &tokio::net::UnixStream, port: &std::net::TcpListener) -> std::io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    use std::os::fd::AsFd;
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [port.as_fd()];
    control.push(SendAncillaryMessage::ScmRights(&fds));
    rustix::net::sendmsg(launcher, &[std::io::IoSlice::new(b"L")], &mut control, SendFlags::NOSIGNAL)?;
    Ok(())
}

impl Drop for Go {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A started launcher: the process, the task passing its standard error through (it returns the
/// module a `ModuleNotFoundError` named), and its command line as it may be shown (without this
/// party's own arguments).
pub(super) struct Launched {
    pub(super) child: tokio::process::Child,
    pub(super) stderr: Option<tokio::task::JoinHandle<Option<String>>>,
    pub(super) shown: Vec<String>,
}

/// Writes the launcher and starts it; the program waits in it for [`Go`].
pub(super) fn start_launcher(
    me: &UnlockedIdentity,
    plan: &RunPlan,
    options: &RunOptions,
    layout: &PortLayout,
    run_dir: &Path,
    direct: bool,
) -> Result<Launched> {
    let launcher = write_launcher(me, plan, layout, run_dir, direct)?;
    let command = plan.command(layout, &launcher);
    let shown = command[..command.len() - plan.private_args.len()].to_vec();
    let started_as: Vec<&String> = options.launcher.iter().chain(&command).collect();
    let mut child = tokio::process::Command::new(started_as[0]);
    // Standard input is the user's: a program may read a party's input from it.
    child.args(&started_as[1..]).stdin(Stdio::inherit()).kill_on_drop(true);
    if options.show_output {
        // Passed through as it comes, and read on the way for a missing module.
        child.stderr(Stdio::piped());
    } else {
        child.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let mut child = child.spawn().map_err(|e| Error::Command(format!("cannot start `{}`: {e}", command[0])))?;
    let stderr = child.stderr.take().map(|stderr| tokio::spawn(super::pass_stderr_through(stderr)));
    Ok(Launched { child, stderr, shown })
}
