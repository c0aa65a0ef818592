//! The command line: every subcommand, flag and help text. Nothing here does any work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod credential;
mod domain;
mod session;
pub use credential::*;
pub use domain::*;
pub use session::*;

const ABOUT: &str = "Identities, signed invitations and connectivity for the parties of a multiparty computation.";

const LONG_ABOUT: &str = "\
Identities, signed invitations and connectivity for the parties of a multiparty computation.

Each party creates an identity (a DID backed by an Ed25519 signing key and an X25519 encryption
key, kept encrypted in a local keystore), shares a signed invitation as a QR code or URL, and
verifies the invitations of the others. Nothing is trusted because of where it came from: every
invitation is checked against the keys in its sender's DID.

Secrets are encrypted with a passphrase, read from MPC_ID_PASSPHRASE or asked for at the terminal.";

const EXAMPLES: &str = "\
Examples:
  Create an identity whose DID names your mediator:
    mpc-id new --name alice --mediator https://mediator.example.org

  Show an invitation as a QR code for a peer to scan, valid for 2 hours:
    mpc-id invite --name alice --expires 2h

  Check an invitation someone sent you (URL, JSON file, QR image, or - for stdin):
    mpc-id inspect 'https://mediator.example.org/oob?_oob=eyJw...'

  Look at the document behind a DID:
    mpc-id resolve did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";

#[derive(Debug, Parser)]
#[command(name = "mpc-id", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    /// The keystore directory [default: mpc-id under your data directory].
    #[arg(long, global = true, env = "MPC_ID_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// More log output on stderr (-v: info, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Also trust the CA certificates in this PEM file, for every TLS connection (a mediator or
    /// DID host whose certificate comes from a private CA). The system's roots stay trusted, and
    /// SSL_CERT_FILE works too.
    #[arg(long, global = true, env = "MPC_ID_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Allow plain http:// to hosts other than this machine (a lab or test network). Without it,
    /// plain HTTP goes only to loopback and localhost; everything else must be https://.
    #[arg(long, global = true)]
    pub insecure_http: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new identity: fresh keys, a DID, and an encrypted keystore entry.
    #[command(after_help = "\
Examples:
  mpc-id new                                   # identity `default`, did:peer:2 without mediator
  mpc-id new --name alice --mediator https://mediator.example.org
  mpc-id new --name ci --method key            # did:key: the shortest DID, no mediator in it
  mpc-id new --name alice --method webvh --mediator https://mediator.example.org
                                               # did:webvh: a verifiable log on the mediator;
                                               # keys and endpoint can change later (`publish`)
  mpc-id new --name alice --method webvh --host https://mpc.example.org/alice \\
             --mediator https://mediator.example.org
                                               # did:webvh on your own web site: then
                                               # `mpc-id publish -n alice --out site/alice` and
                                               # upload site/alice/did.jsonl there")]
    New(NewArgs),

    /// Append to your did:webvh log and publish it: rotate keys, change mediator, or deactivate.
    #[command(after_help = "\
Every entry is signed with the key the previous entry committed to (pre-rotation), so a stolen
current key cannot rewrite your DID. The keystore is updated first; if the host cannot be reached,
run `mpc-id publish` again to send what was saved.

Examples:
  mpc-id publish --name alice --rotate-keys
  mpc-id publish --name alice --mediator https://other-mediator.example.org
  mpc-id publish --name org --linked-domain example.org   # after `mpc-id domain link example.org`
  mpc-id publish --name alice                  # re-send the saved log (e.g. after an outage)
  mpc-id publish --name alice --deactivate     # end the DID for good")]
    Publish(PublishArgs),

    /// The peers you have verified: add one by DID or invitation, or list them.
    #[command(subcommand)]
    Peers(PeersCommand),

    /// List the identities in the keystore.
    List(JsonFlag),

    /// Show one identity's DID, public keys and mediator.
    #[command(after_help = "\
Examples:
  mpc-id show --name alice
  mpc-id show --name alice --json | jq -r .did")]
    Show(ShowArgs),

    /// Print a signed invitation for peers: a QR code, a URL, PNG/SVG files, or JSON.
    #[command(after_help = "\
The invitation is a DIDComm Out-of-Band 2.0 message signed with your Ed25519 key. It carries your
DID, your public keys and your mediator, so a peer can reach you. It expires (default 24h).

Examples:
  mpc-id invite --name alice                        # QR code in the terminal and the URL
  mpc-id invite --name alice --png alice.png --svg alice.svg
  mpc-id invite --name alice --url --expires 30m    # just the URL, for chat or email
  mpc-id invite --name alice --json > alice.invitation.json")]
    Invite(InviteArgs),

    /// Verify an invitation and show what it says; exits non-zero with the reason if invalid.
    #[command(after_help = "\
INPUT is an invitation URL, a file holding the URL or the signed JSON, a PNG with its QR code,
or - to read standard input. The signature is checked against the sender's DID, as are the
expiry, the message type, the schema, and that the keys and mediator are the DID's own.

Examples:
  mpc-id inspect 'https://mediator.example.org/oob?_oob=eyJw...'
  mpc-id inspect alice.png
  mpc-id invite --name alice --url | mpc-id inspect -")]
    Inspect(InspectArgs),

    /// Resolve a DID to its document, verifying what the method allows.
    #[command(after_help = "\
did:key, did:peer:2 and did:jwk are computed from the DID itself. did:webvh logs are fetched from
the host the DID names and verified entry by entry; the last verified entry is remembered in your
peer book, so a host that later serves an older or different history is refused. did:web trusts
its host (and TLS), as that method does.

Examples:
  mpc-id resolve did:webvh:QmSCID...:mediator.example.org:parties:alice
  mpc-id resolve 'did:webvh:QmSCID...:mediator.example.org:parties:alice?versionNumber=1'
  mpc-id resolve did:web:example.org --json")]
    Resolve(ResolveArgs),

    /// Issue, hold and check verifiable credentials (W3C VC 2.0, Data Integrity).
    #[command(subcommand)]
    Credential(CredentialCommand),

    /// Link your DID to a web domain, or check another DID's link (DID Configuration).
    #[command(subcommand)]
    Domain(DomainCommand),

    /// Run the mediator service (store-and-forward and live delivery for parties).
    #[command(subcommand)]
    Mediator(MediatorCommand),

    /// Send a message to a peer's DID, through the peer's mediator.
    #[command(after_help = "\
MESSAGE is text (sent as a basic message) or a DIDComm plaintext message as JSON with a `type`.

Examples:
  mpc-id send --name alice did:peer:2.Ez6LS...  'ready when you are'
  mpc-id send --name alice did:peer:2.Ez6LS...  '{\"type\": \"https://example.org/mpc/1.0/go\", \"body\": {}}'")]
    Send(SendArgs),

    /// Pick up the messages waiting at your mediator (and acknowledge them).
    #[command(after_help = "\
Examples:
  mpc-id inbox --name bob
  mpc-id inbox --name bob --watch          # keep picking up; answer trust pings
  mpc-id inbox --name bob --json --keep    # machine-readable, leave them queued")]
    Inbox(InboxArgs),

    /// Ping your mediator, or a peer's DID (its inbox must be watching to answer).
    Ping(PingArgs),

    /// Forward TCP ports to and from peers, end-to-end encrypted, direct or through the mediator.
    #[command(subcommand)]
    Tunnel(TunnelCommand),

    /// Gather the parties of a computation: create a session, join one, see who is in.
    #[command(subcommand)]
    Session(SessionCommand),

    /// Run a session's MPyC program, every party reaching every other through encrypted tunnels.
    #[command(after_help = "\
Waits for the session's manifest (the host sends it once everyone has joined) and verifies it:
the host's signature, your entry, your program's SHA-256 and MPyC version. Then it connects to
every other party (directly where the NATs allow, through the mediator's relay where not), opens
a local forwarder for each higher-indexed party, and launches the program with MPyC's `-I` and
`-P` arguments pointing at them, through a launcher that puts MPyC's connections on Unix sockets
in a private directory (no TCP port for the network or other users to reach). The program runs
once every party is connected. Its output is streamed; `mpc-id run` exits with
its exit code. If a party's program fails or the party vanishes, the others stop within seconds
with an error naming it, instead of waiting forever.

Examples:
  mpc-id run auction -- python3 auction.py          # the session's arguments are added
  mpc-id run auction --dry-run -- python3 auction.py
  mpc-id run 3f2a -- python3 -u auction.py          # a session by id prefix")]
    Run(RunArgs),

    /// Run the whole flow on this machine, printing each step: a mediator, three parties, a
    /// session, and an MPyC computation through encrypted tunnels.
    #[command(after_help = "\
Everything runs on loopback in throwaway keystores: a mediator with SQLite, three identities, a
signed session invitation behind a short link (and a forged copy, refused), joins, a signed
manifest, and secure_ranking.py (many rounds of secure comparisons) run by all three parties
through end-to-end encrypted tunnels. It needs MPyC: `python3 -m pip install mpyc`.

Examples:
  mpc-id demo
  mpc-id demo --python .venv/bin/python --keep ./demo-keystores")]
    Demo(DemoArgs),

    /// Run the Python mpc-id runs MPyC with when you name none (to add packages your program
    /// needs, say). Everything after `python` goes to it.
    #[command(after_help = "\
It is the Python of the environment mpc-id was installed into, or python3 when it has MPyC, or
mpc-id's own environment (one per user and MPyC version, shared by all your keystores).

Examples:
  mpc-id python -m pip install numpy
  mpc-id python -c 'import mpyc; print(mpyc.__version__)'")]
    Python {
        /// Arguments for Python.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
        args: Vec<String>,
    },

    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  mpc-id completions bash > ~/.local/share/bash-completion/completions/mpc-id
  mpc-id completions zsh > \"${fpath[1]}/_mpc-id\"")]
    Completions {
        /// The shell to generate for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The name `-n` stands for when not given.
pub const DEFAULT_IDENTITY: &str = "default";

#[derive(Debug, Args)]
pub struct IdentityName {
    /// The identity to use [default: `default`, or the only one there is].
    #[arg(long, short = 'n', env = "MPC_ID_IDENTITY", default_value = DEFAULT_IDENTITY, hide_default_value = true, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// did:key: the Ed25519 key alone (no mediator in the DID).
    Key,
    /// did:peer:2: both keys and the mediator endpoint.
    Peer,
    /// did:webvh: a signed log hosted by your mediator (needs --mediator).
    Webvh,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// New signing and encryption keys.
    #[arg(long)]
    pub rotate_keys: bool,
    /// Publish this mediator as your DIDComm endpoint.
    #[arg(long, value_name = "URL", conflicts_with = "deactivate")]
    pub mediator: Option<String>,
    /// Deactivate the DID: nobody, you included, can update it again.
    #[arg(long, conflicts_with = "rotate_keys")]
    pub deactivate: bool,
    /// Name DOMAIN in the DID document as one this DID controls (a `LinkedDomains` service;
    /// repeatable; replaces those named before): peers then check its
    /// `/.well-known/did-configuration.json` (made with `mpc-id domain link`) wherever they
    /// show you.
    #[arg(long = "linked-domain", value_name = "DOMAIN", conflicts_with = "deactivate")]
    pub linked_domains: Vec<String>,
    /// Name no domain in the DID document any more.
    #[arg(long, conflicts_with_all = ["linked_domains", "deactivate"])]
    pub no_linked_domains: bool,
    /// Proofs from your DID's witnesses (a `did-witness.json` file), published with the log:
    /// for witnesses other than the host, which co-signs only for itself. The host checks each.
    #[arg(long, value_name = "FILE")]
    pub witness_proofs: Option<std::path::PathBuf>,
    /// Also write the log (`did.jsonl`, and `did-witness.json` if it has witnesses) into DIR,
    /// to upload where the DID names (for a DID created with `new --host`, the only way).
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Subcommand)]
pub enum PeersCommand {
    /// Verify a peer (a DID, or an invitation URL/file) and remember it.
    #[command(after_help = "\
Examples:
  mpc-id peers add did:webvh:QmSCID...:mediator.example.org:parties:bob --label bob
  mpc-id peers add 'https://mediator.example.org/oob?_oobid=...'")]
    Add(PeersAddArgs),
    /// List the peers you have verified.
    List(JsonFlag),
}

#[derive(Debug, Args)]
pub struct PeersAddArgs {
    /// A DID, or an invitation (URL, file, or - for stdin).
    pub peer: String,
    /// A name for the peer, for your own reference.
    #[arg(long)]
    pub label: Option<String>,
    /// Check that the peer controls this domain (its DID configuration), and say so.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Vec<String>,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The DID method.
    #[arg(long, value_enum, default_value_t = MethodArg::Peer)]
    pub method: MethodArg,
    /// Your mediator's URL: it is contacted, you are enrolled, and its endpoint goes into your
    /// DID (did:peer, did:webvh) and your invitations. With did:webvh it also hosts your log.
    #[arg(long, value_name = "URL")]
    pub mediator: Option<String>,
    /// did:webvh on your own web site: the HTTPS URL under which you will publish the DID's
    /// log (`https://mpc.example.org/alice` serves `/alice/did.jsonl`; a bare domain serves
    /// `/.well-known/did.jsonl`). `mpc-id publish --out DIR` writes the files to upload there;
    /// the mediator, if given, still carries your messages.
    #[arg(long, value_name = "URL", conflicts_with = "witness")]
    pub host: Option<String>,
    /// did:webvh: have the mediator witness every entry of your log with its own key, so that
    /// resolvers accept an entry only with its co-signature.
    #[arg(long, requires = "mediator")]
    pub witness: bool,
    /// An enrollment token from the mediator's operator: a closed mediator (serve
    /// --require-token) enrolls, and hosts DIDs, only for token holders.
    #[arg(long, requires = "mediator", env = "MPC_ID_ENROLLMENT_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// Print the DID document instead of the identity record.
    #[arg(long)]
    pub document: bool,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct InviteArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// What the invitation is for, in words for the peer.
    #[arg(long)]
    pub goal: Option<String>,
    /// A machine-readable goal code.
    #[arg(long, default_value = mpc_identity::invitation::DEFAULT_GOAL_CODE)]
    pub goal_code: String,
    /// How long the invitation stays valid (e.g. 30m, 24h, 7d).
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub expires: std::time::Duration,
    #[command(flatten)]
    pub qr: QrArgs,
    /// Print only the invitation URL.
    #[arg(long, conflicts_with = "json")]
    pub url: bool,
    /// Print only the signed invitation as JSON.
    #[arg(long)]
    pub json: bool,
    /// Put the whole invitation in the URL instead of publishing it at your mediator for a
    /// short link.
    #[arg(long)]
    pub long: bool,
}

/// Where an invitation's QR code goes besides the terminal.
#[derive(Debug, Args)]
pub struct QrArgs {
    /// Also write the QR code as a PNG image.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Also write the QR code as an SVG image.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Draw the terminal QR code for a light background.
    #[arg(long)]
    pub light: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// An invitation URL, a file (URL, JSON or PNG), or - for standard input.
    pub input: String,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The DID to resolve.
    pub did: String,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo keystores (one per party) in this directory instead of a throwaway one.
    /// (Not `--home`: that is mpc-id's own data directory, where your identities live.)
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// The Python that runs MPyC [default: python3 if it has MPyC, else an environment of
    /// mpc-id's own with MPyC 0.11, made once under mpc-id's data directory].
    #[arg(long, env = "MPC_ID_PYTHON", value_name = "PYTHON")]
    pub python: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MediatorCommand {
    /// Ask a mediator for mediation and register your DID with it.
    #[command(after_help = "\
A closed mediator (serve --require-token) enrolls only holders of a token from its operator:

  mpc-id mediator enroll --name alice --token mpcid_...")]
    Enroll(EnrollArgs),

    /// Delete every message waiting for you at your mediator (a queue someone filled with junk).
    Purge(PurgeArgs),

    /// Enrollment tokens for a closed mediator (serve --require-token).
    #[command(subcommand)]
    Token(TokenCommand),

    /// Serve until SIGTERM or Ctrl-C. Every option can also come from the environment.
    #[command(after_help = "\
Examples:
  mpc-id mediator serve                                  # loopback, SQLite in the data directory
  mpc-id mediator serve --listen 0.0.0.0:7070 --public-url https://mediator.example.org
  mpc-id mediator serve --database-url postgres://mediator@db/mediator --log-format json
  mpc-id mediator serve --listen 0.0.0.0:7070 --quic-listen 0.0.0.0:7842   # hole punching for NATed parties")]
    Serve(Box<mpc_mediator::MediatorConfig>),
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The mediator's URL [default: the one in your DID].
    pub url: Option<String>,
    /// An enrollment token from the mediator's operator (`mpc-id mediator token create`).
    #[arg(long, env = "MPC_ID_ENROLLMENT_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token that lets a party enroll; run it where the mediator's database is.
    #[command(after_help = "\
The token is printed once; only its hash is stored. Hand it to the party out of band.

Examples:
  mpc-id mediator token create --label alice --data-dir /var/lib/mpc-mediator
  mpc-id mediator token create --uses 3 --valid-for 24h --database-url postgres://mediator@db/mediator")]
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Who the token is for (shown in the mediator's log when it is used).
    #[arg(long, default_value = "")]
    pub label: String,
    /// How many enrollments it allows.
    #[arg(long, default_value_t = 1)]
    pub uses: u32,
    /// How long it stays valid.
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub valid_for: std::time::Duration,
    /// Where the mediator keeps its data [default: as `mediator serve`].
    #[arg(long, env = "MPC_MEDIATOR_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The mediator's database [default: the SQLite file in the data directory].
    #[arg(long, env = "MPC_MEDIATOR_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Subcommand)]
pub enum TunnelCommand {
    /// Accept tunnels from the peers named, to a local TCP service.
    #[command(after_help = "\
Peers are known by DID: only connections authenticated by their DIDs' keys are accepted, and
each of their TCP connections becomes one to --to. Runs until interrupted.

Examples:
  mpc-id tunnel listen --name bob --allow did:webvh:...:parties:alice --to 127.0.0.1:11366")]
    Listen(TunnelListenArgs),
    /// Forward a local port to a peer's tunnel, showing the path (direct or relayed) as it goes.
    #[command(after_help = "\
Applications connect to --local; each connection is carried to the peer, which passes it on to
its --to service. A connection made before the peer is reachable is held (up to --timeout), not
refused. The path starts relayed through the peer's mediator and turns direct when hole punching
succeeds; the line printed says which, with the round-trip time.

Examples:
  mpc-id tunnel connect --name alice did:webvh:...:parties:bob --local 127.0.0.1:21366")]
    Connect(TunnelConnectArgs),
}

#[derive(Debug, Args)]
pub struct TunnelListenArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// A peer's DID that may connect (repeat for several).
    #[arg(long, required = true, value_name = "DID")]
    pub allow: Vec<String>,
    /// The local TCP service the tunnel leads to.
    #[arg(long, value_name = "HOST:PORT")]
    pub to: std::net::SocketAddr,
    /// How long to keep retrying the local service for a new connection.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    /// Send only through the mediator's relay, never directly (to measure or debug the relay).
    #[arg(long)]
    pub relay_only: bool,
}

#[derive(Debug, Args)]
pub struct TunnelConnectArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The peer's DID.
    pub peer: String,
    /// Where applications connect.
    #[arg(long, value_name = "HOST:PORT")]
    pub local: std::net::SocketAddr,
    /// How long a connection waits for the peer before it is closed.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    /// Send only through the mediator's relay, never directly (to measure or debug the relay).
    #[arg(long)]
    pub relay_only: bool,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The recipient's DID.
    pub to: String,
    /// Text, or a DIDComm message as JSON.
    pub message: String,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct InboxArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// Keep picking up new messages until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// Leave the messages queued instead of acknowledging them.
    #[arg(long)]
    pub keep: bool,
    /// One JSON object per message.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PingArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// A peer's DID; without one, your mediator is pinged.
    pub did: Option<String>,
    /// How long to wait for a peer's answer.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: std::time::Duration,
    #[command(flatten)]
    pub output: JsonFlag,
}
