//! The mediator's HTTP API against its OpenAPI description (`schemas/mediator.openapi.json`):
//! the service serves exactly the description kept in the repository, and schemathesis (from
//! PyPI, installed by `scripts/test`) generates requests from it, valid and invalid, and checks
//! every response: no server error, only documented status codes and content types, bodies as
//! described, invalid input refused. Rate limits are off so the requests reach the handlers.

use std::process::Command;

use mpc_id_e2e::netlab::{KillOnDrop, binary};

#[test]
fn the_mediator_answers_as_its_openapi_description_says() {
    let data = tempfile::tempdir().expect("tempdir");
    let port = mpc_session::mpyc::free_port().expect("a free port");
    let _mediator = KillOnDrop(
        Command::new(binary("mpc-mediator"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--rate-limit-ip", "0", "--rate-limit-did", "0"])
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "error")
            .spawn()
            .expect("mediator"),
    );
    let url = format!("http://127.0.0.1:{port}/openapi.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let served = loop {
        let fetch = "import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())";
        if let Ok(output) = Command::new(mpc_id_e2e::python_for("api")).args(["-c", fetch, &url]).output()
            && output.status.success()
        {
            break output.stdout;
        }
        assert!(std::time::Instant::now() < deadline, "the mediator did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let kept = std::fs::read(mpc_id_e2e::workspace_root().join("schemas/mediator.openapi.json")).expect("kept");
    assert_eq!(served, kept, "the served description is the one in schemas/");

    let st = mpc_id_e2e::python_for("api").with_file_name("st");
    let output = Command::new(st)
        .args(["run", &url, "--checks", "all"])
        // Generated data cannot carry valid signatures or envelopes: that well-formed-looking
        // requests are refused is the point, not a failure.
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", "100", "--workers", "2", "--seed", "1", "--no-color"])
        .current_dir(data.path())
        .output()
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed") && !report.contains("failed"), "{report}");
}
