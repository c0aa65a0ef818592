//! `mpc-id credential`: issuing credentials about other DIDs, keeping the ones issued to you,
//! and checking any.

use std::io::Read;

use anyhow::Context;
use mpc_identity::credential::{self, Claims, VerifiedCredential};
use mpc_identity::keystore::Keystore;
use mpc_identity::status_list::{self, StatusEntry};
use mpc_identity::text::shown;
use mpc_identity::unix_now;

use crate::cli::{
    CredentialAddArgs, CredentialCommand, CredentialIssueArgs, CredentialListArgs, CredentialVerifyArgs,
    StatusListCommand, StatusListNewArgs, StatusListSetArgs,
};
use crate::context::block_on;
use crate::output::{abbreviate_did, format_time};
use crate::passphrase;

pub fn command(keystore: &Keystore, command: &CredentialCommand) -> anyhow::Result<()> {
    match command {
        CredentialCommand::Issue(args) => issue(keystore, args),
        CredentialCommand::Add(args) => add(keystore, args),
        CredentialCommand::List(args) => list(keystore, args),
        CredentialCommand::Verify(args) => verify(keystore, args),
        CredentialCommand::StatusList(StatusListCommand::New(args)) => new_status_list(keystore, args),
        CredentialCommand::StatusList(StatusListCommand::Set(args)) => set_status(keystore, args),
    }
}

fn issue(keystore: &Keystore, args: &CredentialIssueArgs) -> anyhow::Result<()> {
    let name = crate::context::chosen(keystore, &args.identity.name)?;
    let issuer = keystore.unlock(&name, &passphrase::for_unlock(&name)?)?;
    let now = unix_now();
    let claims = Claims {
        subject: &args.subject,
        credential_type: &args.credential_type,
        claims: &args.claims,
        valid_from: now,
        valid_until: args.expires.map(|d| now.saturating_add(d.as_secs())),
    };
    let status = match &args.status {
        None => Vec::new(),
        Some(text) => {
            let (list, index) = text
                .rsplit_once('#')
                .and_then(|(list, index)| Some((list, index.parse::<usize>().ok()?)))
                .with_context(|| {
                    format!("--status `{text}` is not URL#INDEX, as in https://example.org/status/1#42")
                })?;
            vec![StatusEntry { purpose: args.status_purpose.clone(), index, list: list.to_owned() }]
        }
    };
    // The entry is checked as a verifier will read it (an HTTPS list, a known purpose).
    let issued = status_list::issue_with_status(
        &issuer.keys,
        &issuer.record.signing_kid(),
        &issuer.record.did,
        &claims,
        &status,
    )?;
    status_list::entries(&issued)?;
    let text = serde_json::to_string_pretty(&issued)?;
    std::fs::write(&args.out, text + "\n").with_context(|| format!("cannot write `{}`", args.out.display()))?;
    println!("Issued {} to {}", args.credential_type, abbreviate_did(&args.subject));
    println!("  file      {}", args.out.display());
    println!("  next      the subject runs `mpc-id credential add {}`", args.out.display());
    Ok(())
}

fn add(keystore: &Keystore, args: &CredentialAddArgs) -> anyhow::Result<()> {
    let name = crate::context::chosen(keystore, &args.identity.name)?;
    let record = keystore.load(&name)?;
    let value = credential::parse(&read(&args.file)?)?;
    let resolver = crate::context::resolver(keystore);
    let verified = block_on(resolver.verify_credential(&value, unix_now()))??;
    if verified.subject != record.did {
        anyhow::bail!(
            "this credential is about {}, not about `{name}` ({}): it is not yours to present",
            shown(&abbreviate_did(&verified.subject)),
            abbreviate_did(&record.did)
        );
    }
    let path = keystore.add_credential(&name, &value)?;
    if args.output.json {
        return crate::output::print_json(&verified);
    }
    println!("Verified and kept for `{name}`:");
    print_credential(&verified);
    println!("  file      {}", path.display());
    Ok(())
}

fn list(keystore: &Keystore, args: &CredentialListArgs) -> anyhow::Result<()> {
    let name = crate::context::chosen(keystore, &args.identity.name)?;
    let resolver = crate::context::resolver(keystore);
    let now = unix_now();
    let mut listed = Vec::new();
    for (path, stored) in keystore.credentials(&name)? {
        let checked = stored
            .map_err(anyhow::Error::from)
            .and_then(|value| block_on(resolver.verify_credential(&value, now))?.map_err(anyhow::Error::from));
        listed.push((path, checked));
    }
    if args.output.json {
        let entries: Vec<serde_json::Value> = listed
            .iter()
            .map(|(path, checked)| match checked {
                Ok(verified) => serde_json::json!({ "file": path, "valid": true, "credential": verified }),
                Err(e) => serde_json::json!({ "file": path, "valid": false, "reason": format!("{e:#}") }),
            })
            .collect();
        return crate::output::print_json(&entries);
    }
    if listed.is_empty() {
        println!("`{name}` holds no credentials; add one with `mpc-id credential add -n {name} FILE`.");
    }
    for (path, checked) in &listed {
        match checked {
            Ok(verified) => print_credential(verified),
            Err(e) => println!("{}  NOT VALID: {}", path.display(), shown(&format!("{e:#}"))),
        }
    }
    Ok(())
}

fn verify(keystore: &Keystore, args: &CredentialVerifyArgs) -> anyhow::Result<()> {
    let value = credential::parse(&read(&args.file)?)?;
    let resolver = crate::context::resolver(keystore);
    let verified = block_on(resolver.verify_credential(&value, unix_now()))??;
    if args.output.json {
        return crate::output::print_json(&verified);
    }
    println!("Valid credential");
    print_credential(&verified);
    Ok(())
}

/// A credential as people read it: what it says, by whom, about whom, until when (what others
/// wrote, so shown escaped).
fn print_credential(verified: &VerifiedCredential) {
    println!("{}", shown(&verified.types.join(", ")));
    // The DIDs are the credential's text: a forged one may hold anything after `did:`.
    println!("  issuer    {}", shown(&abbreviate_did(&verified.issuer)));
    println!("  subject   {}", shown(&abbreviate_did(&verified.subject)));
    for (key, value) in &verified.claims {
        let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        println!("  claim     {} = {}", shown(key), shown(&value));
    }
    match verified.valid_until {
        Some(until) => println!("  valid     until {}", format_time(until)),
        None => println!("  valid     without end"),
    }
}

/// A credential's text from a file or standard input, within the size limit.
fn read(input: &str) -> anyhow::Result<String> {
    let limit = credential::MAX_CREDENTIAL_BYTES as u64 + 1;
    let mut text = String::new();
    if input == "-" {
        std::io::stdin().take(limit).read_to_string(&mut text).context("reading the credential from standard input")?;
    } else {
        std::fs::File::open(input)
            .with_context(|| format!("cannot open `{input}`"))?
            .take(limit)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read `{input}` as text"))?;
    }
    Ok(text)
}

fn new_status_list(keystore: &Keystore, args: &StatusListNewArgs) -> anyhow::Result<()> {
    let name = crate::context::chosen(keystore, &args.identity.name)?;
    let issuer = keystore.unlock(&name, &passphrase::for_unlock(&name)?)?;
    let list = status_list::new_list(
        &issuer.keys,
        &issuer.record.signing_kid(),
        &issuer.record.did,
        &args.url,
        &args.purpose,
        status_list::MIN_BITS,
        unix_now(),
    )?;
    let text = serde_json::to_string_pretty(&list)? + "\n";
    std::fs::write(&args.out, text).with_context(|| format!("cannot write `{}`", args.out.display()))?;
    println!("A {} list of {} entries, all clear", args.purpose, status_list::MIN_BITS);
    println!("  file      {}", args.out.display());
    println!("  publish   at {}", args.url);
    println!("  next      mpc-id credential issue -n {name} ... --status '{}#0'", args.url);
    Ok(())
}

fn set_status(keystore: &Keystore, args: &StatusListSetArgs) -> anyhow::Result<()> {
    let name = crate::context::chosen(keystore, &args.identity.name)?;
    let issuer = keystore.unlock(&name, &passphrase::for_unlock(&name)?)?;
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let list: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("`{}` is not JSON", args.file.display()))?;
    if credential::issuer_of(&list)? != issuer.record.did {
        anyhow::bail!("`{}` is not a list of `{name}`'s: it names another issuer", args.file.display());
    }
    let kid = issuer.record.signing_kid();
    let updated = status_list::set(&issuer.keys, &kid, &list, args.index, !args.clear, unix_now())?;
    let text = serde_json::to_string_pretty(&updated)? + "\n";
    std::fs::write(&args.file, text).with_context(|| format!("cannot write `{}`", args.file.display()))?;
    let purpose = list["credentialSubject"]["statusPurpose"].as_str().unwrap_or("revocation");
    let done = match (purpose, args.clear) {
        (_, true) => "cleared",
        ("suspension", false) => "suspended",
        _ => "revoked",
    };
    println!(
        "Entry {} {done}; publish `{}` again at {}",
        args.index,
        args.file.display(),
        shown(list["id"].as_str().unwrap_or("its URL"))
    );
    Ok(())
}
