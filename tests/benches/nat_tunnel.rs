//! Tunnels against plain TCP between network namespaces of the NAT lab (`mpc_id_e2e::netlab`),
//! in one run: a party behind an endpoint-independent NAT sends to (1) a TCP service on the
//! public network through its NAT (plain TCP, the baseline), (2) a peer behind another
//! endpoint-independent NAT through a direct (hole-punched) tunnel, (3) through the mediator's
//! relay, from a party behind a symmetric NAT. Throughput of 512 MiB and 3,000 one-byte round
//! trips, measured by the same Python probe at every end, reported as ratios to the baseline.
//! Needs root and nftables. Build the release binaries first:
//!
//!     cargo build --release --bins && cargo bench -p mpc-id-e2e --bench nat_tunnel

use std::process::Stdio;
use std::time::{Duration, Instant};

use mpc_id_e2e::netlab::{KillOnDrop, Nat, NatLab, PUBLIC_IP, Site};
use serde_json::Value;

fn main() {
    let lab = match NatLab::new(&[Nat::EndpointIndependent, Nat::EndpointIndependent, Nat::Symmetric]) {
        Ok(lab) => lab,
        Err(why) => {
            eprintln!("the NAT lab cannot be built here: {why}");
            return;
        }
    };
    let data = tempfile::tempdir().expect("tempdir");
    let _mediator = lab.spawn_mediator(data.path());
    let (alice, bob, carol) = (Site::new(&lab, 0), Site::new(&lab, 1), Site::new(&lab, 2));
    let alice_did = alice.new_identity("alice");
    let bob_did = bob.new_identity("bob");
    let carol_did = carol.new_identity("carol");

    // Services: on the public network (baseline) and behind Bob (through tunnels).
    let public = |args: &[&str]| {
        let mut command = lab.command(&lab.public(), "python3");
        command.arg(mpc_id_e2e::workspace_root().join("tests/python/tunnel_probe.py")).args(args);
        KillOnDrop(command.spawn().expect("probe"))
    };
    let _public_service = public(&["serve", &format!("{PUBLIC_IP}:9000")]);
    let _bob_service = KillOnDrop(bob.python(&["serve", "7000"]).spawn().expect("service"));
    let _listen = KillOnDrop(
        bob.mpc_id()
            .args(["tunnel", "listen", "-n", "bob", "--allow", &alice_did, "--allow", &carol_did])
            .args(["--to", "127.0.0.1:7000"])
            .stdout(Stdio::null())
            .spawn()
            .expect("listen"),
    );
    let connect = |site: &Site<'_>, name: &str, local: u16| {
        KillOnDrop(
            site.mpc_id()
                .args(["tunnel", "connect", "-n", name, &bob_did, "--local", &format!("127.0.0.1:{local}")])
                .stdout(Stdio::null())
                .spawn()
                .expect("connect"),
        )
    };
    let _tunnels = [connect(&alice, "alice", 7100), connect(&carol, "carol", 7200)];

    println!("| path | Gbit/s | RTT p50 µs | RTT p99 µs | throughput vs TCP | added RTT p50 µs |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let baseline = measure(&alice, &format!("{PUBLIC_IP}:9000"));
    row("plain TCP through one NAT", baseline, baseline);
    // Warm the tunnels up so hole punching has happened for Alice.
    let _ = alice.python(&["send", "7100", "10"]).output();
    let _ = carol.python(&["send", "7200", "10"]).output();
    std::thread::sleep(Duration::from_secs(3));
    row("tunnel, direct (hole-punched, two NATs)", measure(&alice, "7100"), baseline);
    row("tunnel, relayed (symmetric NAT)", measure(&carol, "7200"), baseline);
}

/// (Gbit/s, RTT p50 µs, RTT p99 µs).
fn measure(site: &Site<'_>, service: &str) -> (f64, f64, f64) {
    let started = Instant::now();
    let output = site.python(&["send", service, "512"]).output().expect("send");
    let sent: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(sent["answer"], sent["sent"], "{sent}");
    let seconds = sent["seconds"].as_f64().unwrap_or_else(|| started.elapsed().as_secs_f64());
    let rate = 512.0 * 1024.0 * 1024.0 * 8.0 / seconds / 1e9;
    let output = site.python(&["rtt", service, "3000"]).output().expect("rtt");
    let rtt: Value = serde_json::from_slice(&output.stdout).expect("json");
    (rate, rtt["p50_us"].as_f64().unwrap_or(f64::NAN), rtt["p99_us"].as_f64().unwrap_or(f64::NAN))
}

fn row(name: &str, (rate, p50, p99): (f64, f64, f64), (base_rate, base_p50, _): (f64, f64, f64)) {
    println!("| {name} | {rate:.2} | {p50:.0} | {p99:.0} | {:.2} | {:.0} |", rate / base_rate, p50 - base_p50);
}
