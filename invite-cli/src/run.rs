//! `mpc-id run`: a session's run, presented: the command to launch, the progress of connecting,
//! each party's verified claims, and MPyC's exit. The work is in `mpc_session::run`.

use std::io::Write;

use anyhow::bail;
use mpc_identity::keystore::Keystore;
use mpc_identity::text::shown;
use mpc_session::lobby;
use mpc_session::manifest::program_sha256;
use mpc_session::mpyc;
use mpc_session::run::{self, Progress, RunOptions};
use mpc_session::store::{Role, SessionRecord, SessionStore};
use serde_json::json;

use crate::cli::RunArgs;
use crate::output::{abbreviate_did, shell_words};
use crate::session::{names_an_interpreter, open, runtime};

/// A non-zero exit code to leave with, without an error message of our own (the program
/// printed its own).
#[derive(Debug)]
pub struct ExitWith(pub i32);

impl std::fmt::Display for ExitWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the program exited with {}", self.0)
    }
}

impl std::error::Error for ExitWith {}

pub fn run_session(keystore: &Keystore, args: &RunArgs) -> anyhow::Result<()> {
    let runtime = runtime()?;
    // Without a command: the Python given now, or at create or join, and the program named then.
    // Session records are readable before the keystore unlocks.
    let stored = SessionStore::open(keystore.home()).find(&args.session).ok();
    let mut chosen_python = None;
    // The Python of a stored session: the one given now, or at create or join, else mpc-id's own
    // with the session's MPyC.
    let mut python_of = |record: &SessionRecord| -> anyhow::Result<String> {
        match args.python.clone().or_else(|| record.python.clone()) {
            Some(python) => Ok(python),
            None => {
                let needed = &record.offer.mpyc_version;
                let python = runtime.block_on(crate::python::default_python(keystore.home(), Some(needed)))?;
                chosen_python = Some(python.clone());
                Ok(python)
            }
        }
    };
    // Three forms, all the session's Python: `-- python3 prog.py ARGS`, `-- prog.py ARGS`, and
    // `-- ARGS` when the session names its program.
    let command: Vec<String> = match (&args.command[..], stored.as_ref()) {
        ([first, ..], _) if names_an_interpreter(first) => args.command.clone(),
        ([first, rest @ ..], Some(record)) if first.ends_with(".py") => {
            [vec![python_of(record)?, first.clone()], rest.to_vec()].concat()
        }
        (given, Some(record @ SessionRecord { program: Some(program), .. })) => {
            [vec![python_of(record)?, program.display().to_string()], given.to_vec()].concat()
        }
        ([first, ..], _) if first.ends_with(".py") => [vec!["python3".to_owned()], args.command.clone()].concat(),
        ([first, ..], _) => anyhow::bail!(
            "`{}` is neither a Python nor a program, and session {} names no program: write \
             `mpc-id run {} -- python3 PROGRAM.py {}`",
            shown(first),
            shown(&args.session),
            shown(&args.session),
            shown(&args.command.join(" "))
        ),
        ([], _) => args.command.clone(),
    };
    // Asking Python for MPyC's version takes a Python start: it runs while the keystore unlocks
    // and the manifest is fetched, not after.
    let installed_mpyc = {
        let _in_runtime = runtime.enter();
        mpyc::VersionCheck::start(run::interpreter_of(&command))
    };
    let cx = open(keystore, &args.identity.name)?;
    if args.json {
        eprintln!("{}", json!({ "event": "unlocked", "did": cx.me.record.did }));
    }
    let mut record = cx.store.find(&args.session)?;
    if let Some(python) = args.python.as_ref().or(chosen_python.as_ref())
        && record.python.as_ref() != Some(python)
    {
        record.python = Some(python.clone());
        cx.store.save(&record)?;
    }
    let options = RunOptions {
        startup_timeout: args.startup_timeout,
        base_port: args.base_port,
        relay_only: args.relay_only,
        launcher: crate::bound_child::launcher(),
        ..RunOptions::default()
    };
    let code = runtime.block_on(async {
        // The host's program, if none was named at creation, is the one given here.
        let program_sha256 = match (&record.role, run::program_of(&command, None)) {
            (Role::Host, Ok(program)) => Some(program_sha256(&program)?),
            _ => None,
        };
        let mut last = String::new();
        let record = lobby::wait_until_ready(&cx.me, &cx.store, &cx.resolver, &record.id, program_sha256, args.startup_timeout, |r| {
            let line = match (&r.role, &r.state) {
                (Role::Host, _) => format!("waiting for parties: {} of {} admitted", r.admitted().count(), r.offer.parties),
                _ => "waiting for the host's manifest".to_owned(),
            };
            if line != last {
                if args.json {
                    eprintln!("{}", json!({ "event": "lobby", "state": line }));
                } else {
                    eprintln!("[mpc-id] {line}");
                }
                last = line;
            }
        })
        .await?;
        let plan = run::plan(&cx.me, &cx.resolver, &record, &command, installed_mpyc).await?;
        plan.check_tls_wish(args.mpyc_ssl)?;
        if args.json {
            // What each party proved (checked at admission, and again as the plan read the manifest).
            let verified: Vec<serde_json::Value> = plan
                .manifest
                .parties
                .iter()
                .map(|p| json!({ "index": p.index, "credentials": mpc_session::proofs::presented(p.presentation.as_ref()), "domains": p.domains }))
                .collect();
            let event = json!({ "event": "manifest-verified", "parties": plan.manifest.parties.len(), "party": plan.me, "program_sha256": plan.manifest.program.sha256, "verified": verified });
            eprintln!("{event}");
        } else {
            eprintln!("[mpc-id] manifest verified: {} parties, you are party {}, program sha256 {}", plan.manifest.parties.len(), plan.me, &plan.manifest.program.sha256[..16]);
            for party in &plan.manifest.parties {
                for line in mpc_session::proofs::proven(party.presentation.as_ref(), &party.domains) {
                    eprintln!("[mpc-id] party {} verified: {line}", party.index);
                }
            }
        }
        if args.dry_run {
            if let Some(reason) = &plan.refusal {
                bail!("cannot run: {reason}");
            }
            let layout = run::layout(&plan, args.base_port);
            println!("{}", shell_words(&plan.command(&layout, &[])));
            println!(
                "# started through mpc-id's launcher, which puts MPyC's connections on Unix sockets in a private \
                 directory (the ports name them){}; the program runs here all the same",
                if plan.manifest.mpyc.ssl { " and has MPyC read its TLS files from there" } else { "" }
            );
            println!("# party {} listens on socket {} for parties {:?}", plan.me, layout.own_port, (0..plan.me).collect::<Vec<_>>());
            for (index, port) in &layout.forwarders {
                println!("# forwarder on socket {port} -> party {index} ({})", plan.manifest.parties[*index].did);
            }
            return Ok(0);
        }
        let json = args.json;
        let outcome = run::execute(&cx.me, &cx.store, &cx.resolver, &plan, &options, |progress| {
            if json { report_json(&progress, &plan) } else { report(&progress, &plan) }
        })
        .await;
        if json {
            let event = match &outcome {
                Ok(code) => json!({ "event": "exited", "code": code }),
                Err(e) => json!({ "event": "failed", "error": e.to_string() }),
            };
            eprintln!("{event}");
        }
        anyhow::Ok(outcome?)
    })?;
    if code != 0 {
        return Err(ExitWith(code).into());
    }
    Ok(())
}

fn report(progress: &Progress, plan: &run::RunPlan) {
    // Parties by index and the label they gave themselves (the DID follows where it is news).
    let party = |index: &usize| match plan.label_of(*index) {
        Some(label) => format!("party {index} ({})", shown(label)),
        None => format!("party {index}"),
    };
    let line = match progress {
        Progress::Connected { index, did, path } => {
            let path = match path {
                Some(p) if p.direct => format!("direct, rtt {:.1} ms", p.rtt.as_secs_f64() * 1e3),
                Some(p) => format!("relayed, rtt {:.1} ms", p.rtt.as_secs_f64() * 1e3),
                None => "path not yet known".to_owned(),
            };
            format!("{} connected ({path})  {}", party(index), abbreviate_did(did))
        }
        // Why: a party is reachable only while its own `mpc-id run` is up (one that cannot run
        // or left says so, and the run stops).
        Progress::Waiting { missing } => format!(
            "still waiting for {}: not reachable yet (each party joins the run with `mpc-id run {}`)",
            missing.iter().map(party).collect::<Vec<_>>().join(", "),
            &plan.session[..8.min(plan.session.len())]
        ),
        Progress::AllConnected { elapsed } => format!("all parties connected in {:.2} s", elapsed.as_secs_f64()),
        Progress::ProgramPaths { direct, tunnelled } => {
            // By label while few; as index ranges when many (16 parties made a line of 200 columns).
            let list = |parties: &[usize]| {
                if parties.len() <= 4 {
                    parties.iter().map(party).collect::<Vec<_>>().join(", ")
                } else {
                    format!("parties {}", index_ranges(parties))
                }
            };
            match (direct.is_empty(), tunnelled.is_empty()) {
                (false, true) => format!("your program reaches {} directly (TLS)", list(direct)),
                (true, _) => format!("your program reaches {} through the tunnels", list(tunnelled)),
                (false, false) => format!(
                    "your program reaches {} directly (TLS), {} through the tunnels",
                    list(direct),
                    list(tunnelled)
                ),
            }
        }
        Progress::Launching { command, private_args: 0 } => format!("launching: {}", shell_words(command)),
        Progress::Launching { command, private_args } => {
            format!("launching: {} and your {private_args} private argument(s)", shell_words(command))
        }
        Progress::PeerFinished { index } => format!("{} finished", party(index)),
        // A program that ends well says so itself; one that does not is explained here.
        Progress::ProgramEnded { code: Some(0), .. } => return,
        Progress::ProgramEnded { signal: Some(signal), .. } => {
            format!("your program was killed by signal {signal} ({})", run::signal_name(*signal))
        }
        Progress::ProgramEnded { code, missing_module: Some(module), .. } => format!(
            "your program exited with status {}: its Python has no module `{module}`; add it with\n  {} -m pip install {module}\n\
             (the package on PyPI may have another name) and run again",
            code.map_or("unknown".to_owned(), |c| c.to_string()),
            shell_words(&plan.interpreter[..1])
        ),
        Progress::ProgramEnded { code, .. } => {
            format!("your program exited with status {}", code.map_or("unknown".to_owned(), |c| c.to_string()))
        }
        Progress::PathChanged { index, path, elapsed } => format!(
            "{} now {} (rtt {:.1} ms), {:.1} s after start",
            party(index),
            if path.direct { "direct" } else { "relayed" },
            path.rtt.as_secs_f64() * 1e3,
            elapsed.as_secs_f64()
        ),
    };
    eprintln!("[mpc-id] {line}");
    let _ = std::io::stderr().flush();
}

/// [`report`] as one JSON object a line, with full DIDs, for tools.
fn report_json(progress: &Progress, plan: &run::RunPlan) {
    let path_json = |path: &mpc_connect::PathReport| json!({ "direct": path.direct, "rtt_ms": path.rtt.as_secs_f64() * 1e3, "remote": path.remote });
    let event = match progress {
        Progress::Connected { index, did, path } => {
            json!({ "event": "connected", "party": index, "did": did, "label": plan.label_of(*index), "path": path.as_ref().map(path_json) })
        }
        Progress::Waiting { missing } => json!({ "event": "waiting", "missing": missing }),
        Progress::AllConnected { elapsed } => json!({ "event": "all-connected", "seconds": elapsed.as_secs_f64() }),
        Progress::ProgramPaths { direct, tunnelled } => {
            json!({ "event": "program-paths", "direct": direct, "tunnelled": tunnelled })
        }
        Progress::Launching { command, private_args } => {
            json!({ "event": "launched", "command": command, "private_args": private_args, "party": plan.me })
        }
        Progress::PeerFinished { index } => json!({ "event": "peer-finished", "party": index }),
        Progress::ProgramEnded { code, signal, missing_module } => {
            json!({ "event": "program-ended", "code": code, "signal": signal, "missing_module": missing_module })
        }
        Progress::PathChanged { index, path, elapsed } => {
            json!({ "event": "path", "party": index, "path": path_json(path), "seconds": elapsed.as_secs_f64() })
        }
    };
    eprintln!("{event}");
}

/// `1-3, 5, 7-9` for [1, 2, 3, 5, 7, 8, 9] (sorted indices).
fn index_ranges(indices: &[usize]) -> String {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &index in indices {
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == index => *last = index,
            _ => ranges.push((index, index)),
        }
    }
    let shown: Vec<String> = ranges
        .iter()
        .map(|&(first, last)| if first == last { first.to_string() } else { format!("{first}-{last}") })
        .collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::index_ranges;

    #[test]
    fn many_parties_are_shown_as_index_ranges() {
        assert_eq!(index_ranges(&[1, 2, 3, 5, 7, 8, 9]), "1-3, 5, 7-9");
        assert_eq!(index_ranges(&[4]), "4");
        assert_eq!(index_ranges(&[]), "");
    }
}
