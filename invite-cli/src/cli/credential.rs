//! The command line of credentials: `mpc-id credential issue|add|list|verify`.

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
