//! `mpc-mediator`: the mediator as a stand-alone service, for deployments.

use clap::Parser;
use mpc_mediator::config::LogFormat;
use mpc_mediator::{MediatorConfig, start};

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
    init_logging(cli.config.log_format);
    let running = start(cli.config).await?;
    tracing::info!(address = %running.address, "listening");
    shutdown_signal().await;
    tracing::info!("shutting down: finishing requests in flight");
    running.stop().await?;
    Ok(())
}

/// Logging for a service: RUST_LOG or `info`, as text or JSON lines.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// SIGTERM (service managers) or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
