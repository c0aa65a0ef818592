//! A NAT lab in network namespaces: a "public" network (a bridge at 10.200.0.1/24, where the
//! mediator runs) and private sites, each a host behind its own NAT router made with nftables:
//!
//! ```text
//!   host i (10.(100+i).0.2) --lan-- router i (NAT; wan 10.200.0.(10+i)) --wan-- bridge (public, 10.200.0.1)
//! ```
//!
//! - [`Nat::EndpointIndependent`]: `snat` to the router's address; conntrack keeps one mapping
//!   per internal socket whatever the destination (what hole punching needs).
//! - [`Nat::Symmetric`]: `masquerade random`: a new external port per destination.
//!
//! - [`Nat::None`]: no router; the host sits on the public bridge itself at 10.200.0.(10+i), as
//!   machines on one LAN (the comparison bench's setting).
//!
//! Both routers drop unsolicited packets from the WAN in `input` and `forward`. Everything is
//! removed again when the lab is dropped, also when a test fails (deleting a namespace deletes
//! its interfaces and rules).

use std::process::{Command, Stdio};

/// The kind of NAT a site sits behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nat {
    EndpointIndependent,
    Symmetric,
    None,
}

/// A lab; see the module documentation.
#[derive(Debug)]
pub struct NatLab {
    prefix: String,
    sites: usize,
}

/// The mediator's address on the public network.
pub const PUBLIC_IP: &str = "10.200.0.1";

impl NatLab {
    /// Builds the lab, or says why it cannot be built here (not root, no `ip` or `nft`).
    pub fn new(sites: &[Nat]) -> Result<Self, String> {
        // Interface names are at most 15 bytes: a short prefix unique to this process.
        let prefix = format!("nl{}", std::process::id() % 100_000);
        let lab = NatLab { prefix, sites: sites.len() };
        // On failure the half-built lab is dropped, and Drop removes what was made.
        lab.build(sites)?;
        Ok(lab)
    }

    /// The namespace of the public network (run the mediator here).
    pub fn public(&self) -> String {
        format!("{}pub", self.prefix)
    }

    /// The namespace of site `i`'s host.
    pub fn host(&self, i: usize) -> String {
        format!("{}h{i}", self.prefix)
    }

    /// `program` run inside namespace `namespace`.
    pub fn command(&self, namespace: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", namespace]).arg(program);
        command
    }

    /// `mpc-mediator` on the public network (HTTP on [`MEDIATOR_PORT`], QUIC address discovery
    /// on 7842), rate limits off, its data in `data_dir`.
    pub fn spawn_mediator(&self, data_dir: &std::path::Path) -> KillOnDrop {
        let child = self
            .command(&self.public(), binary("mpc-mediator"))
            .args(["--listen", &format!("{PUBLIC_IP}:{MEDIATOR_PORT}")])
            .args(["--rate-limit-ip", "0", "--rate-limit-did", "0"])
            .args(["--quic-listen", &format!("{PUBLIC_IP}:7842")])
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", "warn,iroh_relay=error")
            .spawn()
            .expect("mediator starts");
        KillOnDrop(child)
    }

    fn build(&self, sites: &[Nat]) -> Result<(), String> {
        let p = &self.prefix;
        let public = self.public();
        run(&["ip", "netns", "add", &public])?;
        run(&["ip", "-n", &public, "link", "set", "lo", "up"])?;
        run(&["ip", "-n", &public, "link", "add", "br0", "type", "bridge"])?;
        run(&["ip", "-n", &public, "addr", "add", &format!("{PUBLIC_IP}/24"), "dev", "br0"])?;
        run(&["ip", "-n", &public, "link", "set", "br0", "up"])?;
        for (i, nat) in sites.iter().enumerate() {
            let translation = match nat {
                Nat::EndpointIndependent => format!("snat to {}", Self::address(i)),
                Nat::Symmetric => "masquerade random".to_owned(),
                Nat::None => {
                    self.build_bridged(i)?;
                    continue;
                }
            };
            let (router, host) = (format!("{p}r{i}"), self.host(i));
            let (wan, bridge_port, lan, host_if) =
                (format!("{p}w{i}"), format!("{p}b{i}"), format!("{p}l{i}"), format!("{p}e{i}"));
            let wan_ip = Self::address(i);
            let lan_net = format!("10.{}.0", 100 + i);
            for namespace in [&router, &host] {
                run(&["ip", "netns", "add", namespace])?;
                run(&["ip", "-n", namespace, "link", "set", "lo", "up"])?;
            }
            // WAN: router <-> the public bridge.
            run(&["ip", "link", "add", &wan, "type", "veth", "peer", "name", &bridge_port])?;
            run(&["ip", "link", "set", &wan, "netns", &router])?;
            run(&["ip", "link", "set", &bridge_port, "netns", &public])?;
            run(&["ip", "-n", &public, "link", "set", &bridge_port, "master", "br0", "up"])?;
            run(&["ip", "-n", &router, "link", "set", &wan, "name", "wan"])?;
            run(&["ip", "-n", &router, "addr", "add", &format!("{wan_ip}/24"), "dev", "wan"])?;
            run(&["ip", "-n", &router, "link", "set", "wan", "up"])?;
            // LAN: router <-> host.
            run(&["ip", "link", "add", &lan, "type", "veth", "peer", "name", &host_if])?;
            run(&["ip", "link", "set", &lan, "netns", &router])?;
            run(&["ip", "link", "set", &host_if, "netns", &host])?;
            run(&["ip", "-n", &router, "link", "set", &lan, "name", "lan"])?;
            run(&["ip", "-n", &router, "addr", "add", &format!("{lan_net}.1/24"), "dev", "lan"])?;
            run(&["ip", "-n", &router, "link", "set", "lan", "up"])?;
            run(&["ip", "-n", &host, "link", "set", &host_if, "name", "eth0"])?;
            run(&["ip", "-n", &host, "addr", "add", &format!("{lan_net}.2/24"), "dev", "eth0"])?;
            run(&["ip", "-n", &host, "link", "set", "eth0", "up"])?;
            run(&["ip", "-n", &host, "route", "add", "default", "via", &format!("{lan_net}.1")])?;
            run(&["ip", "netns", "exec", &router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])?;
            let rules = format!(
                "table ip nat {{\n  chain postrouting {{ type nat hook postrouting priority 100; oifname \"wan\" {translation}; }}\n}}\n\
                 table inet filter {{\n  chain forward {{ type filter hook forward priority 0; policy drop;\n    ct state established,related accept; iifname \"lan\" accept; }}\n  \
                 chain input {{ type filter hook input priority 0; policy accept;\n    iifname \"wan\" ct state established,related accept; iifname \"wan\" drop; }}\n}}\n"
            );
            let mut nft = Command::new("ip")
                .args(["netns", "exec", &router, "nft", "-f", "-"])
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("nft: {e}"))?;
            use std::io::Write;
            nft.stdin.take().ok_or("nft stdin")?.write_all(rules.as_bytes()).map_err(|e| e.to_string())?;
            let output = nft.wait_with_output().map_err(|e| e.to_string())?;
            if !output.status.success() {
                return Err(format!("nft in {router}: {}", String::from_utf8_lossy(&output.stderr)));
            }
        }
        Ok(())
    }

    /// Host `i` on the public bridge itself, at [`NatLab::address`]`(i)`, MTU 1500 (veth's).
    fn build_bridged(&self, i: usize) -> Result<(), String> {
        let (p, public, host) = (&self.prefix, self.public(), self.host(i));
        let (bridge_port, host_if) = (format!("{p}b{i}"), format!("{p}e{i}"));
        run(&["ip", "netns", "add", &host])?;
        run(&["ip", "-n", &host, "link", "set", "lo", "up"])?;
        run(&["ip", "link", "add", &host_if, "type", "veth", "peer", "name", &bridge_port])?;
        run(&["ip", "link", "set", &bridge_port, "netns", &public])?;
        run(&["ip", "-n", &public, "link", "set", &bridge_port, "master", "br0", "up"])?;
        run(&["ip", "link", "set", &host_if, "netns", &host])?;
        run(&["ip", "-n", &host, "link", "set", &host_if, "name", "eth0"])?;
        run(&["ip", "-n", &host, "addr", "add", &format!("{}/24", Self::address(i)), "dev", "eth0"])?;
        run(&["ip", "-n", &host, "link", "set", "eth0", "up"])
    }

    /// The public address of site `i`: its router's WAN address, or the host's own with
    /// [`Nat::None`].
    pub fn address(i: usize) -> String {
        format!("10.200.0.{}", 10 + i)
    }
}

impl Drop for NatLab {
    fn drop(&mut self) {
        lab_cleanup(&self.prefix, self.sites);
    }
}

fn lab_cleanup(prefix: &str, sites: usize) {
    let mut namespaces = vec![format!("{prefix}pub")];
    for i in 0..sites {
        namespaces.push(format!("{prefix}r{i}"));
        namespaces.push(format!("{prefix}h{i}"));
    }
    for namespace in namespaces {
        // Kill what still runs inside, then the namespace (and with it its links and rules).
        let _ = Command::new("ip").args(["netns", "pids", &namespace]).output().map(|out| {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        });
        let _ = Command::new("ip").args(["netns", "del", &namespace]).stderr(Stdio::null()).status();
    }
}

fn run(args: &[&str]) -> Result<(), String> {
    let output = Command::new(args[0]).args(&args[1..]).output().map_err(|e| format!("{}: {e}", args[0]))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

/// The mediator's HTTP port on the public network.
pub const MEDIATOR_PORT: u16 = 8080;
const PASSPHRASE: &str = "nat lab passphrase";

pub use mpc_test_support::{KillOnDrop, binary};

/// A party's machine in the lab: its namespace and its own keystore.
#[derive(Debug)]
pub struct Site<'a> {
    lab: &'a NatLab,
    pub namespace: String,
    home: tempfile::TempDir,
}

impl<'a> Site<'a> {
    /// The host of site `i`.
    pub fn new(lab: &'a NatLab, i: usize) -> Self {
        Site { lab, namespace: lab.host(i), home: tempfile::tempdir().expect("home") }
    }

    /// This site's keystore directory.
    pub fn home(&self) -> &std::path::Path {
        self.home.path()
    }

    /// `mpc-id` on this site, with its keystore and passphrase, allowed plain HTTP to the lab's
    /// mediator (a lab network, no certificates).
    pub fn mpc_id(&self) -> Command {
        let mut command = self.lab.command(&self.namespace, binary("mpc-id"));
        command
            .env("MPC_ID_HOME", self.home.path())
            .env("MPC_ID_PASSPHRASE", PASSPHRASE)
            .env("MPC_ID_INSECURE_HTTP", "1")
            .env_remove("RUST_LOG");
        command
    }

    /// Creates an identity enrolled at the lab's mediator (retrying while it starts).
    ///
    /// # Panics
    /// When that does not work within 30 s.
    pub fn new_identity(&self, name: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let output = self
                .mpc_id()
                .args(["new", "-n", name, "--json", "--mediator", &format!("http://{PUBLIC_IP}:{MEDIATOR_PORT}")])
                .output()
                .expect("mpc-id new");
            if output.status.success() {
                let record: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
                return record["did"].as_str().expect("did").to_owned();
            }
            let _ = std::fs::remove_dir_all(self.home.path().join("identities"));
            assert!(
                std::time::Instant::now() < deadline,
                "cannot create {name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }

    /// `tests/python/tunnel_probe.py` on this site.
    pub fn python(&self, args: &[&str]) -> Command {
        let mut command = self.lab.command(&self.namespace, "python3");
        command.arg(crate::workspace_root().join("tests/python/tunnel_probe.py")).args(args);
        command
    }
}
