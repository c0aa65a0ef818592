//! The command line of domain linkage: `mpc-id domain link` and `mpc-id domain check`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{IdentityName, JsonFlag};

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Write the `did-configuration.json` that links your DID to a web domain you control.
    #[command(after_help = "\
The file holds a Domain Linkage Credential (DIF Well Known DID Configuration, JWT form) that your
DID signs about itself and the domain's origin. Publishing it at
https://DOMAIN/.well-known/did-configuration.json shows that whoever runs the domain runs the DID:
peers check it with `mpc-id domain check` (or `peers add --domain`). An existing file keeps the
other DIDs it links.

Examples:
  mpc-id domain link example.org --name hospital-b
  mpc-id domain link example.org --name hospital-b --expires 90d --out site/.well-known/did-configuration.json")]
    Link(DomainLinkArgs),
    /// Check that a DID controls a domain: fetch the domain's DID configuration and verify it.
    #[command(after_help = "\
Examples:
  mpc-id domain check did:peer:2.Ez6LS... example.org
  mpc-id domain check did:webvh:QmSCID...:example.org:mpc example.org --json")]
    Check(DomainCheckArgs),
}

#[derive(Debug, Args)]
pub struct DomainLinkArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The domain (`example.org`, or an https:// origin such as `https://example.org:8443`).
    pub domain: String,
    /// How long the link holds; renew it before then.
    #[arg(long, default_value = "365d", value_parser = humantime::parse_duration)]
    pub expires: std::time::Duration,
    /// Where to write the configuration (kept and extended if it exists).
    #[arg(long, value_name = "FILE", default_value = "did-configuration.json")]
    pub out: PathBuf,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct DomainCheckArgs {
    /// The DID.
    pub did: String,
    /// The domain it should control.
    pub domain: String,
    #[command(flatten)]
    pub output: JsonFlag,
}
