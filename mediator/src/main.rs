//! `mpc-mediator`: the mediator as a stand-alone service, for deployments.

use clap::Parser;
use mpc_mediator::MediatorConfig;

/// A DIDComm v2 mediator for mpc-id parties: stores and forwards their end-to-end encrypted
/// messages, and delivers them live over WebSockets. Every option can also be set in the
/// environment (see each option's [env: ...]).
#[derive(Debug, Parser)]
#[command(name = "mpc-mediator", version)]
struct Cli {
    #[command(flatten)]
    config: MediatorConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // ring is the workspace's one crypto provider; a dependency that asks rustls for the
    // process's default gets it too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    mpc_mediator::init_logging(cli.config.log_format);
    mpc_mediator::serve_until_signal(cli.config).await?;
    Ok(())
}
