//! What two parties of a mesh tell each other so that their programs can also meet on a direct
//! TLS connection, without mpc-id's processes between them.
//!
//! A tunnel costs every message two more processes woken and two more sockets crossed (see
//! docs/BENCHMARKS.md). Where one party can reach the other's machine over TCP, their programs
//! can instead talk TLS 1.3 directly, authenticated by certificates that travel over the mesh:
//! each party makes a certificate for the run and sends it on its control stream (`cert`), and
//! a party whose program listens tells each lower-indexed peer the TCP port it listens on
//! (`port`), or that it offers none (`port -`). Only the mesh's connection is trusted for these
//! lines: it is authenticated by the parties' identity keys, so a certificate received here is
//! the peer's, and a program accepts exactly those. What the programs do with them is the
//! launcher's (`session/src/mpyc_launcher.py`); the mesh only carries them.

use std::collections::HashMap;
use std::sync::Arc;

/// The longest certificate a party may send (DER; an Ed25519 self-signed one is about 300 bytes).
pub(crate) const MAX_CERTIFICATE: usize = 480;

/// One thing a peer offered for a direct connection between the parties' programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DirectOffer {
    /// The certificate (DER) the peer's program presents on a direct connection.
    Certificate(Vec<u8>),
    /// The TCP port the peer's program listens on for this party, or `None`: it offers no direct
    /// connection, and this party's program reaches it through the tunnel.
    Port(Option<u16>),
}

impl DirectOffer {
    /// Its control line.
    pub(crate) fn line(&self) -> String {
        match self {
            DirectOffer::Certificate(der) => format!("cert {}\n", mpc_identity::hex(der)),
            DirectOffer::Port(Some(port)) => format!("port {port}\n"),
            DirectOffer::Port(None) => "port -\n".to_owned(),
        }
    }

    /// Reads the rest of a control line after its verb; `None` if it is not a valid offer.
    pub(crate) fn parse(verb: &str, rest: &str) -> Option<DirectOffer> {
        match verb {
            "cert" if rest.len().is_multiple_of(2) && rest.len() <= 2 * MAX_CERTIFICATE && !rest.is_empty() => {
                let digits = rest.as_bytes();
                let nibble = |c: u8| HEX.iter().position(|&h| h == c).and_then(|n| u8::try_from(n).ok());
                digits
                    .chunks(2)
                    .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
                    .collect::<Option<Vec<u8>>>()
                    .map(DirectOffer::Certificate)
            }
            "port" if rest == "-" => Some(DirectOffer::Port(None)),
            // A port of 0 is nobody's: refused with every other non-port.
            "port" => rest.parse().ok().filter(|&port| port != 0).map(|port| DirectOffer::Port(Some(port))),
            _ => None,
        }
    }
}

/// What this party offers for direct connections: its certificate to every peer, a port to some.
#[derive(Clone, Debug, Default)]
pub(crate) struct DirectOut {
    pub(crate) certificate: Option<Arc<Vec<u8>>>,
    pub(crate) ports: HashMap<usize, Option<u16>>,
}

/// What a control writer has offered its peer so far (each thing once).
#[derive(Default)]
pub(crate) struct Offered {
    certificate: bool,
    port: bool,
}

impl Offered {
    /// The lines for what `out` offers peer `index` that were not sent yet.
    pub(crate) fn news(&mut self, out: &DirectOut, index: usize) -> String {
        let mut lines = String::new();
        if let Some(certificate) = out.certificate.as_ref().filter(|_| !self.certificate) {
            self.certificate = true;
            lines.push_str(&DirectOffer::Certificate(certificate.to_vec()).line());
        }
        if let Some(port) = out.ports.get(&index).filter(|_| !self.port) {
            self.port = true;
            lines.push_str(&DirectOffer::Port(*port).line());
        }
        lines
    }
}

/// The digits `mpc_identity::hex` writes, in order: what `parse` reads back.
const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_read_back_as_they_were_written() {
        for offer in
            [DirectOffer::Certificate(vec![0, 1, 0xab, 0xff]), DirectOffer::Port(Some(40_123)), DirectOffer::Port(None)]
        {
            let line = offer.line();
            let (verb, rest) = line.trim_end().split_once(' ').expect("a verb and its argument");
            assert_eq!(DirectOffer::parse(verb, rest), Some(offer));
        }
    }

    #[test]
    fn a_malformed_offer_is_refused() {
        let too_long = "00".repeat(MAX_CERTIFICATE + 1);
        for (verb, rest) in [
            ("cert", ""),
            ("cert", "abc"),
            ("cert", "zz"),
            ("cert", "AB"),
            ("cert", too_long.as_str()),
            ("port", "0"),
            ("port", "65536"),
            ("port", "-1"),
            ("port", " 80"),
            ("ports", "80"),
        ] {
            assert_eq!(DirectOffer::parse(verb, rest), None, "{verb} {rest:.20}");
        }
    }
}
