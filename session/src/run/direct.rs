//! Direct connections between the parties' programs: TLS over TCP where one party's machine can
//! reach the other's, the tunnel where not.
//!
//! Every MPyC message through a tunnel wakes two `mpc-id` processes and crosses four sockets
//! (docs/BENCHMARKS.md); a direct connection crosses one, as plain MPyC does, and is encrypted
//! by the programs' own TLS. Its trust comes from the mesh: each party makes a fresh key and
//! certificate for the run and sends the certificate over its authenticated mesh connections
//! ([`mpc_connect::direct`]), so a program accepts exactly the certificates its peers' identity
//! keys vouched for, and the launcher pins the one of the party it dials.
//!
//! The order is what keeps both ends in step. A party whose program listens offers each
//! lower-indexed peer its port only once it holds that peer's certificate, and only before its own
//! program starts, when the certificates it accepts are written; a lower-indexed party dials
//! directly only a peer that offered it a port before its own program started, and that it could
//! reach by TCP. Anything else (no port offered in time, the port unreachable, the TLS handshake
//! refused) falls back to the tunnel, which always works.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mpc_connect::direct::DirectOffer;
use mpc_connect::mesh::Mesh;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::mpyc::{self, PortLayout};

/// How long a TCP probe of a peer's direct port may take before the tunnel is used instead.
const PROBE_FOR: Duration = Duration::from_secs(1);

/// Connections the direct port's backlog holds until the launcher accepts them (the launcher
/// bounds what it takes: `DirectPort` in `mpyc_launcher.py`).
const DIRECT_BACKLOG: i32 = 64;

/// The program's direct port: a TCP socket listening on every interface (IPv6 and IPv4 where
/// the system has both), on a port the system picks; `None` if it cannot listen at all.
///
/// Made here rather than in the launcher so that its port can be offered as soon as a peer's
/// certificate arrives (the launcher's Python starts late on a loaded machine: 0.48 s at 16
/// parties on two cores); the launcher is handed the socket ([`super::launch::Go`]). It says
/// it is TCP (`IPPROTO_TCP`): asyncio turns Nagle's algorithm off only on such sockets, and a
/// connection accepted from it inherits that, or every small MPyC message could wait for the
/// peer's delayed acknowledgement (40 ms).
pub(super) fn direct_port() -> Option<std::net::TcpListener> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, ipproto};
    let any: [(AddressFamily, SocketAddr); 2] = [
        (AddressFamily::INET6, SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))),
        (AddressFamily::INET, SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))),
    ];
    for (family, address) in any {
        let listening = (|| {
            let socket =
                rustix::net::socket_with(family, SocketType::STREAM, SocketFlags::CLOEXEC, Some(ipproto::TCP))?;
            if family == AddressFamily::INET6 {
                rustix::net::sockopt::set_ipv6_v6only(&socket, false)?;
            }
            rustix::net::bind(&socket, &address)?;
            rustix::net::listen(&socket, DIRECT_BACKLOG)?;
            Ok::<_, rustix::io::Errno>(std::net::TcpListener::from(socket))
        })();
        match listening {
            Ok(listener) => return Some(listener),
            Err(e) => tracing::debug!(%address, error = %e, "no direct port there"),
        }
    }
    None
}

/// This party's certificate and key for the run's direct connections.
pub(super) struct DirectIdentity {
    der: Vec<u8>,
    pem: String,
    key_pem: Zeroizing<String>,
}

impl DirectIdentity {
    /// A fresh Ed25519 key and a self-signed certificate for it, used for one run only.
    pub(super) fn generate() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| Error::Command(format!("no randomness for a TLS key: {e}")))?;
        let key = mpyc::key_pair_of(&seed)?;
        let mut params = rcgen::CertificateParams::default();
        // A name of its own: OpenSSL looks a trusted certificate up by its name, and a program
        // that trusts several peers' certificates of one name checks against the wrong one.
        let mut name = [0u8; 8];
        getrandom::fill(&mut name).map_err(|e| Error::Command(format!("no randomness for a TLS key: {e}")))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("mpc-id direct {}", mpc_identity::hex(&name)));
        let certificate =
            params.self_signed(&key).map_err(|e| Error::Command(format!("making the direct certificate: {e}")))?;
        Ok(DirectIdentity {
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
    }

    /// The certificate, as offered to peers.
    pub(super) fn der(&self) -> Vec<u8> {
        self.der.clone()
    }
}

/// What the parties offered each other so far, while the run starts.
pub(super) struct DirectPlan {
    me: usize,
    /// This party's program's port (`None`: it offers none).
    own_port: Option<u16>,
    certificates: HashMap<usize, Vec<u8>>,
    /// What each higher-indexed peer offered: its port, or none.
    ports: HashMap<usize, Option<u16>>,
    /// The lower-indexed peers offered this party's port: their certificates are accepted.
    offered: HashSet<usize>,
    higher: Vec<usize>,
    lower: Vec<usize>,
}

impl DirectPlan {
    /// Party `me`'s plan with `peers`: `own_port` is offered to each lower-indexed peer once its
    /// certificate is in (`None`: they are told at once there is none); `dialling` says whether
    /// this party's program dials its higher-indexed peers directly at all (not in a relay-only
    /// run, nor where the program brings its own TLS: then nothing is waited for).
    pub(super) fn new(
        me: usize,
        peers: impl IntoIterator<Item = usize>,
        own_port: Option<u16>,
        dialling: bool,
        mesh: &Mesh,
    ) -> Self {
        let (mut higher, lower): (Vec<usize>, Vec<usize>) = peers.into_iter().partition(|&index| index > me);
        if !dialling {
            higher.clear();
        }
        let mut plan = DirectPlan {
            me,
            own_port,
            certificates: HashMap::new(),
            ports: HashMap::new(),
            offered: HashSet::new(),
            higher,
            lower,
        };
        plan.offer_ports(mesh);
        plan
    }

    /// Takes in what peer `index` offered.
    pub(super) fn offered_by(&mut self, index: usize, offer: DirectOffer, mesh: &Mesh) {
        match offer {
            // A certificate that is not one would stop this party's program when it loads it:
            // that peer goes through the tunnel instead.
            DirectOffer::Certificate(der) if is_one_certificate(&der) => {
                self.certificates.entry(index).or_insert(der);
            }
            DirectOffer::Certificate(_) => tracing::warn!(party = index, "ignored a malformed certificate offered"),
            // Only a higher-indexed peer's program listens for this party's.
            DirectOffer::Port(port) if index > self.me => {
                self.ports.entry(index).or_insert(port);
            }
            DirectOffer::Port(_) => tracing::debug!(party = index, "ignored a port offered by a lower-indexed peer"),
        }
        self.offer_ports(mesh);
    }

    fn offer_ports(&mut self, mesh: &Mesh) {
        let port = self.own_port;
        for &index in &self.lower {
            if self.offered.contains(&index) {
                continue;
            }
            match port {
                Some(_) if !self.certificates.contains_key(&index) => continue,
                Some(_) => {
                    self.offered.insert(index);
                }
                None => {}
            }
            mesh.offer_port(index, port);
        }
    }

    /// Whether everything this party waits for is in: every higher-indexed peer's offer, and
    /// while `for_addresses`, for each port offered an address to try it at (a peer
    /// reached through the relay at first has none until the endpoint learns its addresses, a
    /// moment later; one behind a NAT may have none that answers at all).
    pub(super) fn settled(&self, mesh: &Mesh, for_addresses: bool) -> bool {
        self.higher.iter().all(|index| match self.ports.get(index) {
            None => false,
            Some(None) => true,
            Some(Some(_)) => !for_addresses || !mesh.addresses_of(*index).is_empty(),
        })
    }

    /// Probes the ports offered, and writes what the launcher needs (`direct.json` in `run_dir`,
    /// with this party's key and certificate beside it, readable by this user only).
    pub(super) async fn write(
        self,
        identity: &DirectIdentity,
        mesh: &Mesh,
        layout: &PortLayout,
        run_dir: &Path,
    ) -> Result<DirectReport> {
        let mut probes = tokio::task::JoinSet::new();
        for (&index, &port) in &self.ports {
            let (Some(port), Some(certificate), Some(&name)) =
                (port, self.certificates.get(&index), layout.forwarders.get(&index))
            else {
                continue;
            };
            let candidates: Vec<SocketAddr> =
                mesh.addresses_of(index).into_iter().map(|ip: IpAddr| SocketAddr::new(ip, port)).collect();
            let certificate = mpc_identity::hex(certificate);
            probes.spawn(async move {
                let reached = reach(&candidates).await?;
                Some(Dial { party: index, port: name, host: reached.ip().to_string(), tcp_port: port, certificate })
            });
        }
        let mut dial = BTreeMap::new();
        while let Some(probed) = probes.join_next().await {
            if let Ok(Some(entry)) = probed {
                dial.insert(entry.party, entry);
            }
        }
        let accept: Vec<Accept> = self
            .offered
            .iter()
            .filter_map(|&index| {
                Some(Accept { party: index, certificate: mpc_identity::hex(self.certificates.get(&index)?) })
            })
            .collect();
        let certificate = run_dir.join("direct.crt");
        let key = run_dir.join("direct.key");
        mpyc::write_private(&certificate, &identity.pem)?;
        mpyc::write_private(&key, &identity.key_pem)?;
        let report = DirectReport { dialled: dial.keys().copied().collect(), accepted: accept.len() };
        let file = LauncherFile { certificate, key, dial: dial.into_values().collect(), accept };
        let json = serde_json::to_string(&file).map_err(|e| Error::Command(format!("writing direct.json: {e}")))?;
        mpyc::write_private(&run_dir.join("direct.json"), &json)?;
        Ok(report)
    }
}

/// Which peers this party's program dials directly, and how many it accepts directly.
#[derive(Clone, Debug, Default)]
pub(super) struct DirectReport {
    pub(super) dialled: Vec<usize>,
    pub(super) accepted: usize,
}

/// The first of `candidates` that accepts a TCP connection within [`PROBE_FOR`].
async fn reach(candidates: &[SocketAddr]) -> Option<SocketAddr> {
    let mut tries = tokio::task::JoinSet::new();
    for &addr in candidates {
        tries.spawn(async move { tokio::net::TcpStream::connect(addr).await.map(|_| addr) });
    }
    tokio::time::timeout(PROBE_FOR, async {
        while let Some(tried) = tries.join_next().await {
            if let Ok(Ok(addr)) = tried {
                return Some(addr);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

/// Whether `der` is exactly one X.509 certificate (nothing after it).
fn is_one_certificate(der: &[u8]) -> bool {
    matches!(x509_parser::parse_x509_certificate(der), Ok((rest, _)) if rest.is_empty())
}

/// `direct.json`, as the launcher reads it.
#[derive(Serialize)]
struct LauncherFile {
    certificate: PathBuf,
    key: PathBuf,
    dial: Vec<Dial>,
    accept: Vec<Accept>,
}

#[derive(Serialize)]
struct Dial {
    party: usize,
    /// The port MPyC was given for this party (the name of its forwarder).
    port: u16,
    host: String,
    tcp_port: u16,
    /// Hex of the DER.
    certificate: String,
}

#[derive(Serialize)]
struct Accept {
    party: usize,
    certificate: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_certificate_is_taken_from_a_peer() {
        let identity = DirectIdentity::generate().expect("a certificate");
        assert!(is_one_certificate(&identity.der()));
        let mut trailing = identity.der();
        trailing.push(0);
        let cut = &identity.der()[..identity.der().len() - 1];
        for bad in [&b""[..], b"not a certificate", cut, &trailing] {
            assert!(!is_one_certificate(bad), "{bad:?}");
        }
    }
}
