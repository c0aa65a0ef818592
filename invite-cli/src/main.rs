//! `mpc-id`: the command-line front end. Parses arguments, wires the library crates together
//! and presents their results; all protocol logic lives in the libraries.

mod bound_child;
mod cli;
mod context;
mod credential;
mod demo;
mod domain;
mod identity;
mod invite;
mod ledger;
mod messaging;
mod output;
mod passphrase;
mod python;
mod qr;
mod resolve;
mod run;
mod session;
mod tunnel;

use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use mpc_identity::keystore::Keystore;

use cli::{Cli, Command};

/// The exit status of a process ended by SIGPIPE (128 + 13), as shells report it.
const CLOSED_PIPE_STATUS: i32 = 141;

/// Output into a closed pipe (`mpc-id resolve DID | head`) ends `mpc-id` quietly, as SIGPIPE
/// ends a C tool: Rust ignores SIGPIPE, so a print into a closed pipe panics instead, and a user
/// would see a panic message and exit 101 for a pipeline that did what it was asked.
fn end_quietly_on_a_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE_STATUS);
        }
        report(info);
    }));
}

fn main() -> ExitCode {
    // Not a command for people: how `mpc-id run` starts the program (see `bound_child`).
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(bound_child::ARGUMENT) {
        let command = args.iter().skip(2).skip_while(|a| *a != "--").skip(1).cloned().collect::<Vec<_>>();
        return bound_child::exec(&command);
    }
    end_quietly_on_a_closed_pipe();
    // ring is the workspace's one crypto provider; a dependency that asks rustls for the
    // process's default gets it too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match &cli.command {
        // A service logs at info, in the format asked for.
        Command::Mediator(cli::MediatorCommand::Serve(config)) => mpc_mediator::init_logging(config.log_format),
        _ => init_logging(cli.verbose),
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The program `mpc-id run` launched failed and said why itself: pass its code on.
            if let Some(run::ExitWith(code)) = err.downcast_ref() {
                return ExitCode::from(u8::try_from(*code).unwrap_or(1));
            }
            // One line, the whole chain: the reason a script or a person can act on. Errors
            // quote what others sent (a host's reason, a server's answer): escaped.
            eprintln!("error: {}", mpc_identity::text::shown_lines(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(path) = &cli.ca_file {
        mpc_client::tls::trust_ca_file(path)?;
    }
    if cli.insecure_http {
        mpc_client::http::allow_plain_http_anywhere();
    }
    let keystore = || -> anyhow::Result<Keystore> {
        let home =
            cli.home.clone().or_else(Keystore::default_home).context(
                "no keystore directory: set MPC_ID_HOME or --home (no data directory is known for this user)",
            )?;
        Ok(Keystore::open(home)?)
    };
    match &cli.command {
        Command::New(args) => identity::new(&keystore()?, args),
        Command::List(args) => identity::list(&keystore()?, args.json),
        Command::Show(args) => identity::show(&keystore()?, args),
        Command::Invite(args) => invite::invite(&keystore()?, args),
        Command::Inspect(args) => invite::inspect(args),
        Command::Resolve(args) => resolve::resolve(&keystore()?, args),
        Command::Publish(args) => ledger::publish(&keystore()?, args),
        Command::Peers(cli::PeersCommand::Add(args)) => ledger::add_peer(&keystore()?, args),
        Command::Peers(cli::PeersCommand::List(args)) => ledger::list_peers(&keystore()?, args.json),
        Command::Credential(command) => credential::command(&keystore()?, command),
        Command::Domain(cli::DomainCommand::Link(args)) => domain::link(&keystore()?, args),
        Command::Domain(cli::DomainCommand::Check(args)) => domain::check(&keystore()?, args),
        Command::Demo(args) => demo::demo(args),
        Command::Session(command) => session::command(&keystore()?, command),
        Command::Run(args) => run::run_session(&keystore()?, args),
        Command::Send(args) => messaging::send(&keystore()?, args),
        Command::Inbox(args) => messaging::inbox(&keystore()?, args),
        Command::Ping(args) => messaging::ping(&keystore()?, args),
        Command::Tunnel(cli::TunnelCommand::Listen(args)) => tunnel::listen(&keystore()?, args),
        Command::Tunnel(cli::TunnelCommand::Connect(args)) => tunnel::connect(&keystore()?, args),
        Command::Mediator(cli::MediatorCommand::Enroll(args)) => messaging::enroll(&keystore()?, args),
        Command::Mediator(cli::MediatorCommand::Purge(args)) => messaging::purge(&keystore()?, args),
        Command::Mediator(cli::MediatorCommand::Token(cli::TokenCommand::Create(args))) => {
            messaging::create_token(args)
        }
        Command::Mediator(cli::MediatorCommand::Serve(config)) => {
            let runtime = context::runtime(context::Threads::PerCore)?;
            Ok(runtime.block_on(mpc_mediator::serve_until_signal((**config).clone()))?)
        }
        Command::Python { args } => {
            let home = keystore()?.home().to_owned();
            let runtime = context::runtime(context::Threads::One)?;
            let python = runtime.block_on(python::default_python(&home, None))?;
            let status = std::process::Command::new(&python)
                .args(args)
                .status()
                .with_context(|| format!("cannot start `{python}`"))?;
            match status.code() {
                Some(0) => Ok(()),
                Some(code) => Err(run::ExitWith(code).into()),
                None => anyhow::bail!("`{python}` was killed by a signal"),
            }
        }
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "mpc-id", &mut std::io::stdout());
            Ok(())
        }
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        // The did:webvh library logs what then reaches the user as our error; once is enough.
        // The relay (in `demo`'s mediator) logs every client that goes away as a warning, and
        // iroh's relay transport now and then reports its own shutdown, as an endpoint closes
        // after the run, as an error; a relay that fails a run shows as our error naming the party.
        // rustls' verifier logs each certificate it refuses; the refusal reaches the user as our
        // error, with the fix.
        0 => "warn,didwebvh_rs=error,iroh_relay=error,iroh::socket::transports::relay=off,rustls_platform_verifier=off",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(mpc_identity::text::colour(std::io::stderr().is_terminal()))
        .with_target(false)
        .without_time()
        .init();
}
