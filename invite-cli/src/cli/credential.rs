//! The command line of credentials: `mpc-id credential issue|add|list|verify|status-list`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{IdentityName, JsonFlag};

#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Issue a verifiable credential about another DID, signed by your identity.
    #[command(after_help = "\
An organisation's identity states something about a party's DID: a W3C Verifiable Credential
(Data Model 2.0) with a Data Integrity proof (eddsa-jcs-2022). Give the file to the party, who
adds it to its keystore with `mpc-id credential add`.

Examples:
  mpc-id credential issue -n hospital-b --subject did:peer:2.Ez6LS... --type MemberCredential \\
         --claim department=oncology --expires 90d --out alice-member.json")]
    Issue(CredentialIssueArgs),
    /// Check a credential issued to you and keep it in your keystore.
    #[command(after_help = "\
The credential is verified against its issuer's DID (resolved here) and must be about your DID.

Examples:
  mpc-id credential add -n alice alice-member.json")]
    Add(CredentialAddArgs),
    /// List the credentials your identity holds, each checked again.
    List(CredentialListArgs),
    /// Check any credential: its issuer's signature, its subject, its validity.
    #[command(after_help = "\
Examples:
  mpc-id credential verify alice-member.json
  mpc-id credential verify alice-member.json --json")]
    Verify(CredentialVerifyArgs),
    /// Revoke credentials you issued: Bitstring Status Lists you publish over HTTPS.
    #[command(subcommand)]
    StatusList(StatusListCommand),
}

/// `mpc-id credential status-list new|set`.
#[derive(Debug, Subcommand)]
pub enum StatusListCommand {
    /// Make an empty status list to publish at an HTTPS URL of yours.
    #[command(after_help = "\
A W3C Bitstring Status List (131,072 entries, all clear), signed by your identity. Publish the
file at the URL given, then issue credentials that point into it with
`mpc-id credential issue ... --status URL#INDEX` (one index per credential). Whoever checks one of
them fetches the list from that URL and refuses the credential once its bit is set.

Examples:
  mpc-id credential status-list new -n hospital-b --url https://hospital-b.example/status/1 \\
         --out status-1.json")]
    New(StatusListNewArgs),
    /// Revoke (or, with --clear, reinstate) the credential at INDEX of a list, signed again.
    #[command(after_help = "\
The file is rewritten in place; publish it again at its URL.

Examples:
  mpc-id credential status-list set -n hospital-b status-1.json 42")]
    Set(StatusListSetArgs),
}

#[derive(Debug, Args)]
pub struct StatusListNewArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The HTTPS URL the list will be published at.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// What a set bit means: `revocation` (for good) or `suspension`.
    #[arg(long, default_value = "revocation", value_name = "PURPOSE")]
    pub purpose: String,
    /// Where to write it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct StatusListSetArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The list (a file made by `status-list new`).
    pub file: PathBuf,
    /// The credential's index in the list (the number after `#` in its `--status`).
    pub index: usize,
    /// Clear the bit instead (reinstate a suspended credential).
    #[arg(long)]
    pub clear: bool,
}

#[derive(Debug, Args)]
pub struct CredentialIssueArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The DID the credential is about.
    #[arg(long, value_name = "DID")]
    pub subject: String,
    /// Its type, a word such as `MemberCredential`.
    #[arg(long = "type", value_name = "TYPE")]
    pub credential_type: String,
    /// A claim about the subject (repeatable): `department=oncology`.
    #[arg(long = "claim", value_name = "KEY=VALUE", value_parser = parse_claim)]
    pub claims: Vec<(String, String)>,
    /// How long it is valid; without it, it does not expire.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub expires: Option<std::time::Duration>,
    /// Where its status is kept, so that you can revoke it: `URL#INDEX` in a list made with
    /// `mpc-id credential status-list new` (a different INDEX for each credential).
    #[arg(long, value_name = "URL#INDEX")]
    pub status: Option<String>,
    /// The purpose of the `--status` list: `revocation` or `suspension`.
    #[arg(long, default_value = "revocation", value_name = "PURPOSE", requires = "status")]
    pub status_purpose: String,
    /// Where to write it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CredentialAddArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    /// The credential (a JSON file, or - for stdin).
    pub file: String,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct CredentialListArgs {
    #[command(flatten)]
    pub identity: IdentityName,
    #[command(flatten)]
    pub output: JsonFlag,
}

#[derive(Debug, Args)]
pub struct CredentialVerifyArgs {
    /// The credential (a JSON file, or - for stdin).
    pub file: String,
    #[command(flatten)]
    pub output: JsonFlag,
}

fn parse_claim(text: &str) -> Result<(String, String), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    Ok((key.to_owned(), value.to_owned()))
}
