//! The command line of sessions: `mpc-id session ...` and `mpc-id run`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{IdentityName, JsonFlag, QrArgs};

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Create a session you host, and print its signed invitation (QR code, URL, PNG/SVG).
    #[command(after_help = "\
The invitation is published at your mediator behind a short link. Parties who join are admitted
in join order and get indices 1, 2, ... (you are 0), unless --order fixes the order or --confirm
makes you admit each one (`mpc-id session admit`). When the session is full, you sign the
manifest (parties, program hash, arguments, MPyC version) and every party gets it.

Examples:
  mpc-id session create --parties 3 --name auction --program auction.py -- --lots 10
  mpc-id session create --parties 3 --confirm --png session.png
  mpc-id session create --parties 2 --order did:peer:2.Ez...,did:webvh:Qm...  --mpyc-ssl")]
    Create(Box<SessionCreateArgs>),
    /// Join the session an invitation offers (URL, file, PNG with its QR code, or -).
    #[command(after_help = "\
The invitation is verified against the host's DID, then a signed join request goes to the host
through its mediator: the host need not be online. `mpc-id session status` shows the answer.

Examples:
  mpc-id session join 'https://mediator.example.org/oob?_oobid=...' --program auction.py")]
    Join(SessionJoinArgs),
    /// Show your sessions, or one: who has joined, your index, the manifest. Fetches news first.
    Status(SessionStatusArgs),
    /// Host: admit a party that asked to join (sessions created with --confirm).
    Admit(SessionDecideArgs),
    /// Host: refuse a party, with a reason it is told.
    Refuse(SessionRefuseArgs),
    /// Leave a session (the host cancels it for everyone).
    Leave(SessionRefArgs),
    /// Write MPyC's own configuration for a ready session, for running it by hand.
    #[command(after_help = "\
The ports are base+i for party i on 127.0.0.1, as MPyC's own default; the output lists the
`mpc-id tunnel` commands that make them reach the other parties.

Examples:
  mpc-id session export auction --format ini > .config/auction.ini
  python3 auction.py -C auction.ini
  python3 auction.py $(mpc-id session export auction --format args)")]
    Export(SessionExportArgs),
}

#[derive(Debug, Args)]
pub struct SessionCreateArgs {
    /// The identity that hosts (`-n` as everywhere; spelled --identity here, where --name is
    /// the session's).
    #[arg(long = "identity", short = 'n', env = "MPC_ID_IDENTITY", default_value = super::DEFAULT_IDENTITY, hide_default_value = true, value_name = "NAME")]
    pub identity: String,
    /// How many parties compute, you included.
    #[arg(long, value_name = "N")]
    pub parties: usize,
    /// A name for the session, shown to the parties.
    #[arg(long, default_value = "mpc")]
    pub name: String,
    /// The MPyC program, a file or a bundle (a directory whose __main__.py runs, its modules
    /// beside it): its digest goes into the invitation and the manifest. Without it, the program
    /// you give `mpc-id run` is the one.
    #[arg(long, value_name = "PATH")]
    pub program: Option<PathBuf>,
    /// Leave the program (a bundle: a directory whose __main__.py runs) at your mediator, so that
    /// parties without it fetch it at join, checked against its digest; with --role, each role's
    /// (each a bundle), a party fetching only its own role's. Readable by whoever holds the
    /// invitation: a program is not a secret of the computation, its inputs are.
    #[arg(long)]
    pub share_program: bool,
    /// A role, when parties run different programs: NAME=PATH (repeat for each role; instead of
    /// --program). Each party picks its role at join (`--role NAME`); the manifest fixes each
    /// role's program digest and arguments, and every party checks its own.
    #[arg(long = "role", value_name = "NAME=PATH", value_parser = role_program, conflicts_with = "program")]
    pub roles: Vec<(String, PathBuf)>,
    /// An argument of one role's program, NAME=ARG (repeat, in order), after MPyC's own.
    #[arg(long = "role-arg", value_name = "NAME=ARG", value_parser = role_arg)]
    pub role_args: Vec<(String, String)>,
    /// Your own role [default: the first --role].
    #[arg(long, value_name = "NAME", requires = "roles")]
    pub my_role: Option<String>,
    /// How long the session (and its invitation) stays valid.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub expires: std::time::Duration,
    /// The parties by DID, in party order (yours among them); others are refused.
    #[arg(long, value_delimiter = ',', value_name = "DID,...")]
    pub order: Option<Vec<String>>,
    /// Admit each party by hand with `mpc-id session admit`.
    #[arg(long)]
    pub confirm: bool,
    /// Admit only parties that present a credential from this issuer (repeatable): ISSUER_DID,
    /// or ISSUER_DID:Type for one type (a last segment starting with a capital letter, such as
    /// `:MemberCredential`). The credential must be about the party's DID, valid, and presented
    /// for this session.
    #[arg(long = "require-credential", value_name = "ISSUER_DID[:TYPE]")]
    pub require_credentials: Vec<String>,
    /// Admit only parties whose DID this domain links in its DID configuration (repeatable).
    #[arg(long = "require-domain", value_name = "DOMAIN")]
    pub require_domains: Vec<String>,
    /// Use MPyC's own TLS too (`--ssl`), with per-party certificates pinned in the manifest.
    #[arg(long)]
    pub mpyc_ssl: bool,
    /// The Python whose MPyC version the session runs (remembered: `run` uses it) [default:
    /// python3 if it has MPyC, else an environment of mpc-id's own with MPyC 0.11, made once].
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<String>,
    /// The name the others see beside your DID [default: your identity's name].
    #[arg(long, value_name = "LABEL", value_parser = label)]
    pub label: Option<String>,
    #[command(flatten)]
    pub qr: QrArgs,
    /// Print only the invitation URL.
    #[arg(long, conflicts_with = "json")]
    pub url: bool,
    /// Print the session as JSON.
    #[arg(long)]
    pub json: bool,
    /// Arguments every party's program gets, after MPyC's own.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SessionJoinArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The session invitation: a URL, a file (URL, JSON or PNG), or - for standard input.
    pub invitation: String,
    /// The program you will run: checked against the session's hash now, and used by `run`.
    /// Without it, a program the host shares is fetched, checked, shown, and saved if you join.
    #[arg(long, value_name = "FILE")]
    pub program: Option<PathBuf>,
    /// Show every file of a program the host shares, in full, before you are asked to agree
    /// (control characters escaped); nothing is saved or run unless you join.
    #[arg(long, conflicts_with = "program")]
    pub show_program: bool,
    /// Your role, in a session whose host defined roles (the invitation lists them).
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
    /// Where to save a program the host shares: a new directory, created here [default:
    /// programs/SESSION-ID/ in the keystore directory; never a place the host's session names].
    #[arg(long, value_name = "DIR", conflicts_with = "program")]
    pub program_dir: Option<PathBuf>,
    /// The Python you will run the program with (remembered: `run` uses it) [default: python3 if
    /// it has the session's MPyC, else an environment of mpc-id's own with it, made once].
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<String>,
    /// The name the others see beside your DID, sent in your signed join request [default: your
    /// identity's name].
    #[arg(long, value_name = "LABEL", value_parser = label)]
    pub label: Option<String>,
    /// Join without asking: what you agree to is still printed. Needed where no one can answer
    /// (scripts, no terminal).
    /// A credential to present for the session's requirements (repeatable) [default: those of
    /// your keystore that meet them].
    #[arg(long = "credential", value_name = "FILE")]
    pub credentials: Vec<PathBuf>,
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct SessionStatusArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// A session id (or a unique prefix, or its name); all of yours when omitted.
    pub session: Option<String>,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct SessionRefArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The session id (or a unique prefix, or its name).
    pub session: String,
}

#[derive(Debug, Args)]
pub struct SessionDecideArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The session id (or a unique prefix, or its name).
    pub session: String,
    /// The DID of the party.
    pub did: String,
}

#[derive(Debug, Args)]
pub struct SessionRefuseArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The session id (or a unique prefix, or its name).
    pub session: String,
    /// The DID of the party.
    pub did: String,
    /// What the party is told.
    #[arg(long, default_value = "the host declined")]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// An MPyC `.ini` file for `-C`.
    Ini,
    /// MPyC's `-I` and `-P` arguments.
    Args,
}

#[derive(Debug, Args)]
pub struct SessionExportArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The session id (or a unique prefix, or its name).
    pub session: String,
    #[arg(long, value_enum, default_value_t = ExportFormat::Ini)]
    pub format: ExportFormat,
    /// Party i's port is BASE+i.
    #[arg(long, default_value_t = 11365, value_name = "BASE")]
    pub base_port: u16,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The session id (or a unique prefix, or its name).
    pub session: String,
    /// Print the command and the forwarders, and stop (nothing connects or runs).
    #[arg(long)]
    pub dry_run: bool,
    /// Insist on MPyC's own TLS: fail unless the session was created with --mpyc-ssl.
    #[arg(long)]
    pub mpyc_ssl: bool,
    /// How long to wait for the manifest and for every party to connect.
    #[arg(long, default_value = "120s", value_parser = humantime::parse_duration)]
    pub startup_timeout: std::time::Duration,
    /// The port numbers MPyC is given: party i's is BASE+i (11365+i otherwise). They only name
    /// the Unix sockets MPyC's connections use: nothing listens on TCP.
    #[arg(long, value_name = "BASE")]
    pub base_port: Option<u16>,
    /// Send only through the mediator's relay, never directly.
    #[arg(long)]
    pub relay_only: bool,
    /// Report progress as JSON lines on standard error (events: connected, waiting,
    /// all-connected, path, launched, peer-finished, exited, failed), for tools.
    #[arg(long)]
    pub json: bool,
    /// The Python to run the program with, when no COMMAND is given (remembered for the
    /// session) [default: the one given at create or join, else python3].
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<String>,
    /// The program to run: interpreter, program file, and then your own arguments (your private
    /// inputs): they go to the program after the session's arguments, and to no one else.
    /// Default: the Python and the program named at create or join.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// A label as `--label` takes it: one short line (see `mpc_session::manifest::check_label`).
fn label(text: &str) -> Result<String, String> {
    mpc_session::manifest::check_label(text).map(|()| text.to_owned())
}

fn role_program(text: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = text.split_once('=').ok_or("give a role as NAME=PATH")?;
    mpc_session::manifest::check_role_name(name)?;
    Ok((name.to_owned(), PathBuf::from(path)))
}

fn role_arg(text: &str) -> Result<(String, String), String> {
    let (name, arg) = text.split_once('=').ok_or("give a role's argument as NAME=ARG")?;
    Ok((name.to_owned(), arg.to_owned()))
}
