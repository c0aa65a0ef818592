//! What MPyC needs from us: its party arguments (`-I`, `-P`) or `.ini` file for a given port
//! layout, its version, and for `--ssl` the certificates and the `.config/` files it reads.
//!
//! MPyC's own TLS authenticates parties by certificates named `MPyC party <i>` that chain to a CA
//! bundle. Each party's TLS key is derived from its identity key and the session id, so it never
//! has to be stored, and is not the identity key itself (which therefore never lands in a file).
//! The certificates travel in the signed join requests and the signed manifest; the bundle MPyC
//! trusts is exactly the manifest's certificates.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use ed25519_dalek::SigningKey;
use mpc_identity::keys::PartyKeys;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Where each party's MPyC is reached from this party: its own listening port, and a local
/// forwarder port for every higher-indexed party. Under `mpc-id run` the ports are names: the
/// launcher puts each on a Unix socket (see [`socket_of`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortLayout {
    /// This party's index.
    pub me: usize,
    /// How many parties.
    pub parties: usize,
    /// The local port this party's MPyC listens on.
    pub own_port: u16,
    /// Forwarder ports, for parties with a higher index than `me`.
    pub forwarders: BTreeMap<usize, u16>,
}

impl PortLayout {
    /// The fixed layout `base + i` for party i (MPyC's own default scheme), for manual set-ups.
    pub fn fixed(me: usize, parties: usize, base: u16) -> Self {
        let port = |i: usize| base.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
        PortLayout { me, parties, own_port: port(me), forwarders: ((me + 1)..parties).map(|j| (j, port(j))).collect() }
    }

    /// The `host:port` MPyC is given for party `j`. Lower-indexed parties dial us and their
    /// entries are not used by MPyC; they get our own address so that the list stays valid.
    fn address_of(&self, j: usize) -> String {
        let port = self.forwarders.get(&j).copied().unwrap_or(self.own_port);
        format!("127.0.0.1:{port}")
    }

    /// Every port of the layout: this party's own, then its forwarders'.
    pub fn ports(&self) -> impl Iterator<Item = u16> + '_ {
        std::iter::once(self.own_port).chain(self.forwarders.values().copied())
    }

    /// MPyC's command-line arguments: `-I me` and one `-P host:port` per party, in order.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["-I".to_owned(), self.me.to_string()];
        for j in 0..self.parties {
            args.push("-P".to_owned());
            args.push(self.address_of(j));
        }
        args
    }

    /// The same as an MPyC `.ini` file (for `-C`): one section per party, ours with no host.
    pub fn ini(&self) -> String {
        let mut ini = String::new();
        for j in 0..self.parties {
            let host = if j == self.me { String::new() } else { "127.0.0.1".to_owned() };
            let port = self.forwarders.get(&j).copied().unwrap_or(self.own_port);
            let _ = write!(ini, "[Party {j}]\nhost = {host}\nport = {port}\n\n");
        }
        ini
    }
}

/// The seed of this party's TLS key for `session`.
fn tls_seed(identity: &PartyKeys, session: &str) -> Zeroizing<[u8; 32]> {
    let mut hasher = Sha256::new();
    hasher.update(b"mpc-id/mpyc-tls/1\0");
    hasher.update(identity.signing_key().to_bytes());
    hasher.update(session.as_bytes());
    Zeroizing::new(hasher.finalize().into())
}

/// PKCS#8 v1 of an Ed25519 seed (RFC 8410): a fixed prefix, then the 32 bytes.
fn pkcs8(seed: &[u8; 32]) -> Zeroizing<Vec<u8>> {
    const PREFIX: [u8; 16] =
        [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    let mut der = Zeroizing::new(PREFIX.to_vec());
    der.extend_from_slice(seed);
    der
}

fn tls_key_pair(identity: &PartyKeys, session: &str) -> Result<rcgen::KeyPair> {
    key_pair_of(&tls_seed(identity, session))
}

/// The Ed25519 TLS key of `seed`.
pub(crate) fn key_pair_of(seed: &[u8; 32]) -> Result<rcgen::KeyPair> {
    let der = pkcs8(seed);
    rcgen::KeyPair::try_from(der.as_slice()).map_err(|e| Error::Command(format!("making a TLS key: {e}")))
}

/// The public half of this party's TLS key for `session`.
pub(crate) fn tls_public_key(identity: &PartyKeys, session: &str) -> [u8; 32] {
    SigningKey::from_bytes(&tls_seed(identity, session)).verifying_key().to_bytes()
}

/// This party's TLS key for `session`, as the PEM MPyC reads.
pub(crate) fn tls_key_pem(identity: &PartyKeys, session: &str) -> Result<Zeroizing<String>> {
    Ok(Zeroizing::new(tls_key_pair(identity, session)?.serialize_pem()))
}

/// Certificates `MPyC party 0` .. `MPyC party n-1` for this party's TLS key: the index is not
/// known when a party joins, so it offers one per index and the host keeps the one it assigns.
pub fn certificates(identity: &PartyKeys, session: &str, parties: usize) -> Result<Vec<String>> {
    let key = tls_key_pair(identity, session)?;
    (0..parties)
        .map(|index| {
            let mut params = rcgen::CertificateParams::default();
            params.distinguished_name.push(rcgen::DnType::CommonName, format!("MPyC party {index}"));
            params
                .self_signed(&key)
                .map(|c| c.pem())
                .map_err(|e| Error::Command(format!("making the MPyC certificate: {e}")))
        })
        .collect()
}

/// Checks that `pem` is one X.509 certificate named `MPyC party <index>`; returns its raw public key.
pub(crate) fn check_certificate(pem: &str, index: usize) -> std::result::Result<Vec<u8>, String> {
    let (rest, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| format!("the certificate of party {index} is not PEM ({e})"))?;
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(format!("the certificate of party {index} has trailing data"));
    }
    let certificate = block.parse_x509().map_err(|e| format!("the certificate of party {index} is not X.509 ({e})"))?;
    let name = certificate.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or("");
    let expected = format!("MPyC party {index}");
    if name != expected {
        return Err(format!("the certificate of party {index} is named `{name}`, not `{expected}`"));
    }
    Ok(certificate.public_key().subject_public_key.data.to_vec())
}

/// Writes the files `--ssl` makes MPyC read from `dir/.config/`: this party's certificate and
/// key, and the bundle of every party's certificate.
pub(crate) fn write_ssl_config(dir: &Path, me: usize, key_pem: &str, certificates: &[String]) -> Result<()> {
    let config = dir.join(".config");
    std::fs::create_dir_all(&config).map_err(|e| Error::io("creating", &config, e))?;
    let own = certificates.get(me).ok_or_else(|| Error::Command(format!("no certificate for party {me}")))?;
    write_private(&config.join(format!("party_{me}.crt")), own)?;
    write_private(&config.join(format!("party_{me}.key")), key_pem)?;
    write_private(&config.join("mpyc_ca.crt"), &certificates.concat())
}

/// The launcher every program of a run starts through (see `mpyc_launcher.py`): MPyC's
/// connections on Unix sockets in the run's private directory, and with `--ssl` its TLS files
/// read from there.
const LAUNCHER: &str = include_str!("mpyc_launcher.py");

/// MPyC's TLS files for `--ssl`: this party's key and every party's certificate.
pub(crate) struct TlsFiles<'a> {
    pub(crate) key_pem: &'a str,
    pub(crate) certificates: &'a [String],
}

/// Writes the launcher into `dir` (a private directory the run owns), and with `tls` MPyC's files
/// into `dir/.config/`; returns the words that go before the program on the command line. The
/// Unix sockets of `layout`'s ports are made in `dir` as the run goes: MPyC's own by MPyC, the
/// forwarders' by the mesh (see [`socket_of`]).
/// With `direct`, the launcher also listens for direct TLS connections from peers, and dials those
/// `direct.json` names (see `run/direct.rs`).
pub(crate) fn write_launcher(
    dir: &Path,
    layout: &PortLayout,
    tls: Option<TlsFiles<'_>>,
    direct: bool,
) -> Result<Vec<String>> {
    let key_dir = match tls {
        Some(files) => {
            write_ssl_config(dir, layout.me, files.key_pem, files.certificates)?;
            dir.join(".config").display().to_string()
        }
        None => "-".to_owned(),
    };
    let launcher = dir.join("mpyc_launcher.py");
    write_private(&launcher, LAUNCHER)?;
    let ports: Vec<String> = layout.ports().map(|port| port.to_string()).collect();
    let direct = if direct { "direct" } else { "-" };
    Ok(vec![launcher.display().to_string(), dir.display().to_string(), ports.join(","), key_dir, direct.to_owned()])
}

/// The Unix socket in `dir` on which the launcher waits for the word to run the program.
pub(crate) fn go_socket(dir: &Path) -> std::path::PathBuf {
    dir.join("go")
}

/// The Unix socket in `dir` that stands for MPyC's `port` (the launcher's naming).
pub fn socket_of(dir: &Path, port: u16) -> std::path::PathBuf {
    dir.join(port.to_string())
}

/// Creates (or replaces) `path`, readable by its owner only, with `text`.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    mpc_identity::files::replace_private_file(path, text.as_bytes()).map_err(|e| Error::io("writing", path, e))
}

/// The MPyC version `python` has.
pub async fn version(python: &str) -> Result<String> {
    VersionCheck::start(python).finish().await
}

/// Prints the version of the MPyC that `import mpyc` would load, read from the `__version__ =
/// '...'` line (a string literal and nothing else) of that very file: importing MPyC costs five
/// times the CPU of a bare Python start, and every party of a run checks at the same moment
/// (so nothing is imported that a few string methods do: `re` would add a quarter).
/// MPyC itself is imported only when the line is not there.
const VERSION_SCRIPT: &str = r##"
import importlib.util, sys
spec = importlib.util.find_spec("mpyc")
if spec is None or spec.origin is None:
    sys.exit("ModuleNotFoundError: No module named 'mpyc'")
def literal(line):
    name, equals, value = line.partition("=")
    value = value.split("#")[0].strip()
    if name.rstrip() == "__version__" and equals and len(value) > 2 and value[0] in "'\"" and value[-1] == value[0]:
        inner = value[1:-1]
        if inner and "'" not in inner and '"' not in inner and "\\" not in inner:
            return inner
with open(spec.origin, encoding="utf-8") as source:
    found = next(filter(None, map(literal, source)), None)
if found:
    print(found)
else:
    import mpyc
    print(mpyc.__version__)
"##;

/// Finding out the MPyC version an interpreter has: a Python start, so it is started early and
/// its answer collected when needed. Dropping it stops the check.
#[derive(Debug)]
pub struct VersionCheck {
    python: String,
    child: std::io::Result<tokio::process::Child>,
}

impl VersionCheck {
    /// Starts `python` asking MPyC its version (within a Tokio runtime).
    pub fn start(python: &str) -> Self {
        let child = tokio::process::Command::new(python)
            .args(["-c", VERSION_SCRIPT])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        VersionCheck { python: python.to_owned(), child }
    }

    /// The interpreter asked.
    pub fn python(&self) -> &str {
        &self.python
    }

    /// The version, once the interpreter answered.
    pub async fn finish(self) -> Result<String> {
        let python = self.python;
        let child = self.child.map_err(|e| Error::Command(format!("cannot start `{python}`: {e}")))?;
        let output =
            child.wait_with_output().await.map_err(|e| Error::Command(format!("cannot run `{python}`: {e}")))?;
        if !output.status.success() {
            return Err(Error::MpycMissing {
                python: python.to_string(),
                reason: String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("").to_owned(),
            });
        }
        // MPyC logs to standard output as it is imported; the version is the last line.
        let stdout = String::from_utf8_lossy(&output.stdout);
        Ok(stdout.lines().last().unwrap_or_default().trim().to_owned())
    }
}

/// Lowest port [`reserve_port`] picks.
const LOWEST_PORT: u16 = 10_000;

/// A port on 127.0.0.1 held for a run: bound, never listening, so that no other run on this
/// machine picks it, while the one bind meant for it (MPyC's server, or a forwarder: both ask for
/// `SO_REUSEADDR`) still succeeds beside it. Released when dropped.
#[derive(Debug)]
pub struct ReservedPort {
    port: u16,
    _held: tokio::net::TcpSocket,
}

impl ReservedPort {
    /// The port held.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `port`, if no socket at all is bound to it. The bind asks for exclusive use (no
    /// `SO_REUSEADDR`), so it fails beside any socket, listening or not (a forwarder that waits to
    /// listen, a reservation of another run); only then is `SO_REUSEADDR` turned on, for the bind
    /// the port is meant for.
    fn try_hold(port: u16) -> std::io::Result<Self> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((std::net::Ipv4Addr::LOCALHOST, port).into())?;
        socket.set_reuseaddr(true)?;
        let port = socket.local_addr()?.port();
        Ok(ReservedPort { port, _held: socket })
    }
}

/// A port for MPyC to listen on, or a forwarder, held until the [`ReservedPort`] is dropped.
/// Not one from port 0: the kernel hands those out of its ephemeral range, the same range every
/// outgoing connection draws its local port from, so any connection made meanwhile (ours to the
/// mediator, anyone's) could take it before MPyC binds it. Ports below that range are only ever
/// taken by explicit binds.
pub fn reserve_port() -> std::io::Result<ReservedPort> {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    if ephemeral_low <= LOWEST_PORT {
        return ReservedPort::try_hold(0);
    }
    // Start somewhere different each time, so parties starting together do not all try the
    // same ports; the ephemeral port the kernel gives is as good a random number as any.
    let span = u32::from(ephemeral_low - LOWEST_PORT);
    let start = u32::from(ReservedPort::try_hold(0)?.port);
    for step in 0..256u32 {
        // A prime stride: consecutive tries land far apart.
        let offset = (start + step * 7919) % span;
        let port = LOWEST_PORT + u16::try_from(offset).unwrap_or(0);
        if let Ok(reserved) = ReservedPort::try_hold(port) {
            return Ok(reserved);
        }
    }
    ReservedPort::try_hold(0)
}

/// A port free on 127.0.0.1 now (see [`reserve_port`]), not held: for a server started at once.
pub fn free_port() -> std::io::Result<u16> {
    reserve_port().map(|reserved| reserved.port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_lie_below_the_ephemeral_range_and_are_free() {
        let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .expect("Linux")
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .expect("range");
        let ports: Vec<u16> = (0..20).map(|_| free_port().expect("a port")).collect();
        for &port in &ports {
            assert!((LOWEST_PORT..low).contains(&port), "{port} is not below {low}");
            std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)).expect("still free");
        }
        // Taken ports are skipped.
        let held = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, ports[0])).expect("bind");
        assert!((0..50).map(|_| free_port().expect("a port")).all(|port| port != ports[0]));
        drop(held);
    }

    #[test]
    fn a_port_bound_by_anyone_is_not_picked_even_before_it_listens() {
        // A forwarder binds its port at once and listens only when the peer is there; another
        // run picking that port meanwhile would have its MPyC listen where the forwarder should.
        let forwarder = tokio::net::TcpSocket::new_v4().expect("socket");
        forwarder.set_reuseaddr(true).expect("reuseaddr");
        forwarder.bind((std::net::Ipv4Addr::LOCALHOST, 0).into()).expect("bind");
        let port = forwarder.local_addr().expect("addr").port();
        assert!(ReservedPort::try_hold(port).is_err(), "port {port} is bound, if not listening");
        // Nor is a port another run holds.
        let held = reserve_port().expect("a port");
        assert!(ReservedPort::try_hold(held.port()).is_err());
        drop(held);
    }

    #[test]
    fn the_program_binds_and_listens_on_the_port_held_for_it() {
        let held = reserve_port().expect("a port");
        // As MPyC's server does (asyncio asks for SO_REUSEADDR, as std does).
        let server = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, held.port())).expect("bind beside");
        let client = std::net::TcpStream::connect((std::net::Ipv4Addr::LOCALHOST, held.port())).expect("connect");
        let (accepted, _) = server.accept().expect("accept");
        assert_eq!(accepted.peer_addr().expect("peer"), client.local_addr().expect("local"));
        // A forwarder's socket, too.
        let other = reserve_port().expect("another port");
        let forwarder = tokio::net::TcpSocket::new_v4().expect("socket");
        forwarder.set_reuseaddr(true).expect("reuseaddr");
        forwarder.bind((std::net::Ipv4Addr::LOCALHOST, other.port()).into()).expect("bind beside");
        drop((held, other));
    }

    #[test]
    fn party_one_of_three_dials_two_through_a_forwarder_and_listens_on_its_own_port() {
        let layout = PortLayout { me: 1, parties: 3, own_port: 4001, forwarders: BTreeMap::from([(2, 5002)]) };
        assert_eq!(layout.args(), ["-I", "1", "-P", "127.0.0.1:4001", "-P", "127.0.0.1:4001", "-P", "127.0.0.1:5002"]);
        assert_eq!(
            layout.ini(),
            "[Party 0]\nhost = 127.0.0.1\nport = 4001\n\n[Party 1]\nhost = \nport = 4001\n\n[Party 2]\nhost = 127.0.0.1\nport = 5002\n\n"
        );
        assert_eq!(PortLayout::fixed(0, 3, 11365).forwarders, BTreeMap::from([(1, 11366), (2, 11367)]));
    }

    #[test]
    fn certificates_carry_the_party_name_and_the_derived_key_not_the_identity_key() {
        let identity = PartyKeys::generate().expect("keys");
        let session = "00112233445566778899aabbccddeeff";
        let certificates = certificates(&identity, session, 3).expect("certificates");
        for (index, pem) in certificates.iter().enumerate() {
            let key = check_certificate(pem, index).expect("valid");
            assert_eq!(key, tls_public_key(&identity, session));
            assert_ne!(key, identity.signing_key().verifying_key().to_bytes());
        }
        let err = check_certificate(&certificates[1], 2).expect_err("wrong index");
        assert!(err.contains("`MPyC party 1`, not `MPyC party 2`"), "{err}");
        assert_ne!(tls_public_key(&identity, "another session"), tls_public_key(&identity, session));
    }
}
