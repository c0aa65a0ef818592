//! The program `mpc-id run` starts ends with it. A killed `mpc-id run` (SIGKILL, the OOM killer)
//! cannot stop its child, and MPyC would stay behind holding its ports, so the program is started
//! through `mpc-id` itself: that process asks the kernel to kill it when its parent dies
//! (`PR_SET_PDEATHSIG`, kept across exec), then replaces itself with the program, same pid.
//!
//! The signal comes when the *thread* that started the child ends; `mpc-id run` starts it from its
//! one runtime thread, which lives as long as the run.

use std::os::unix::process::CommandExt;
use std::process::ExitCode;

/// The hidden first argument that selects this mode.
pub const ARGUMENT: &str = "__exec-bound-to-parent";

/// How to start a program bound to this process: `mpc-id __exec-bound-to-parent -- PROGRAM...`;
/// empty (start it directly) if this executable cannot be found.
pub fn launcher() -> Vec<String> {
    match std::env::current_exe() {
        Ok(exe) => vec![exe.display().to_string(), ARGUMENT.to_owned(), "--".to_owned()],
        Err(e) => {
            tracing::warn!(error = %e, "cannot find mpc-id's own executable; the program is not bound to it");
            Vec::new()
        }
    }
}

/// Runs `command` (the arguments after `--`) bound to the parent; returns only on failure.
pub fn exec(command: &[String]) -> ExitCode {
    let Some((program, args)) = command.split_first() else {
        eprintln!("error: {ARGUMENT} needs a command after `--`");
        return ExitCode::from(2);
    };
    #[cfg(target_os = "linux")]
    {
        let parent = rustix::process::getppid();
        if let Err(e) = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL)) {
            eprintln!("error: cannot tie `{program}` to mpc-id run: {e}");
            return ExitCode::from(1);
        }
        // The parent may have died before the request: then nobody is left to signal us.
        if rustix::process::getppid() != parent {
            return ExitCode::from(1);
        }
    }
    let error = std::process::Command::new(program).args(args).exec();
    eprintln!("error: cannot start `{program}`: {error}");
    ExitCode::from(127)
}
