//! `mpc-id invite` and `mpc-id inspect`: making a signed invitation and checking one.

use std::io::Read;
use std::path::Path;

use crate::qr::{self, InvitationQr, MAX_SCREEN_VERSION, TERMINAL_COLUMNS, TerminalTheme};
use anyhow::Context;
use mpc_client::mediator as client;
use mpc_identity::invitation::Invitation;
use mpc_identity::keystore::Keystore;
use mpc_identity::unix_now;

use crate::cli::{InspectArgs, InviteArgs, QrArgs};
use crate::output::format_time;

pub fn invite(keystore: &Keystore, args: &InviteArgs) -> anyhow::Result<()> {
    let name = &crate::context::chosen(keystore, &args.identity.name)?;
    let record = keystore.load(name)?;
    let identity = crate::context::unlock(keystore, name)?;
    let now = unix_now();
    let invitation = Invitation::new(&record, Some(&args.goal_code), args.goal.as_deref(), args.expires, now);
    let signed = invitation.sign(&identity.keys, &record.signing_kid())?;
    let mut url = signed.to_url(record.mediator.as_ref());
    // With a mediator, the QR code carries a short link to the invitation it stores.
    if let (Some(mediator), false) = (&record.mediator, args.long) {
        match crate::context::block_on(client::publish_invitation(&mediator.uri, &signed))? {
            Ok(short) => url = short,
            Err(e) => tracing::warn!(error = %e, "could not publish a short link; using the full invitation URL"),
        }
    }

    // No QR code is needed for JSON or the URL alone; images asked for are.
    write_qr_images(&url, &args.qr)?;
    if args.json {
        return crate::output::print_json(&signed.to_value());
    }
    if args.url {
        println!("{url}");
        return Ok(());
    }
    let qr = show_qr(&url, &args.qr);
    println!("Invitation from `{}`, valid until {}", record.name, format_time(invitation.expires_time));
    println!("  did  {}", record.did);
    for line in qr {
        println!("  {line}");
    }
    println!("  url  {url}");
    Ok(())
}

/// Writes the QR images `options` asks for.
pub(crate) fn write_qr_images(url: &str, options: &QrArgs) -> anyhow::Result<()> {
    if options.png.is_none() && options.svg.is_none() {
        return Ok(());
    }
    let qr = InvitationQr::new(url).map_err(|e| anyhow::anyhow!("{e}; send the URL or the JSON instead"))?;
    if let Some(path) = &options.png {
        qr.write_png(path)?;
    }
    if let Some(path) = &options.svg {
        std::fs::write(path, qr.to_svg()).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Draws the QR code in the terminal when it scans from a screen; returns lines about it (size,
/// image files, why none is drawn) for the caller to print.
pub(crate) fn show_qr(url: &str, options: &QrArgs) -> Vec<String> {
    let qr = match InvitationQr::new(url) {
        Ok(qr) => qr,
        Err(e) => return vec![format!("note: no QR code: {e}; send the URL")],
    };
    let mut lines = vec![format!(
        "QR   version {}, {}x{} modules, error correction {}",
        qr.version(),
        qr.modules(),
        qr.modules(),
        qr.level()
    )];
    // A code too dense to scan off a screen is not drawn: it would only fill the terminal.
    if qr.screen_scannable() {
        let theme = if options.light { TerminalTheme::Light } else { TerminalTheme::Dark };
        print!("{}", qr.to_terminal(theme));
        println!();
        if !qr.fits_terminal() {
            lines.push(format!(
                "note: the code is wider than {TERMINAL_COLUMNS} columns; widen the terminal or use --png"
            ));
        }
    } else {
        lines.push(format!(
            "note: the invitation is {} bytes, too large for a QR code that scans reliably from a screen \
             (version {} > {MAX_SCREEN_VERSION}), so none is drawn; print the --png, send the URL, \
             or use a mediator's short link",
            url.len(),
            qr.version(),
        ));
    }
    for (flag, path) in [("png", &options.png), ("svg", &options.svg)] {
        if let Some(path) = path {
            lines.push(format!("{flag}  {}", path.display()));
        }
    }
    lines
}

pub fn inspect(args: &InspectArgs) -> anyhow::Result<()> {
    let text = read_input(&args.input)?;
    let signed = crate::context::block_on(client::read_invitation(&text))??;
    let resolver = mpc_client::resolver::Resolver::new(None);
    let (invitation, resolution) =
        crate::context::block_on(resolver.verify_invitation(&signed, unix_now()))?.context("invalid invitation")?;
    // The domains the sender's DID document claims, each checked against the domain itself.
    let domains = crate::context::block_on(crate::domain::check_domains(
        &resolver,
        &invitation.from,
        Some(&resolution.document),
        &[],
    ))?;
    if args.output.json {
        let domains: Vec<_> = domains.iter().map(crate::domain::DomainCheck::to_json).collect();
        return crate::output::print_json(
            &serde_json::json!({ "valid": true, "invitation": invitation, "domains": domains }),
        );
    }
    let body = &invitation.body;
    println!("Valid invitation, signed by its sender");
    println!("  from      {}", invitation.from);
    for check in &domains {
        println!("  domain    {}", check.line());
    }
    println!("  id        {}", invitation.id);
    match &body.goal {
        Some(goal) => println!("  goal      {} ({goal})", body.goal_code),
        None => println!("  goal      {}", body.goal_code),
    }
    println!("  created   {}", format_time(invitation.created_time));
    println!("  expires   {}", format_time(invitation.expires_time));
    println!("  signing   {} (Ed25519)", body.keys.authentication);
    println!("  agreement {} (X25519)", body.keys.key_agreement);
    match &body.mediator {
        Some(m) => println!("  mediator  {} ({} routing keys)", m.uri, m.routing_keys.len()),
        None => println!("  mediator  none"),
    }
    Ok(())
}

/// An invitation from a URL argument, a file (text or a PNG with a QR code), or stdin.
pub(crate) fn read_input(input: &str) -> anyhow::Result<String> {
    if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(mpc_identity::invitation::MAX_INVITATION_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .context("reading the invitation from standard input")?;
        return Ok(text);
    }
    if input.contains("://") || input.trim_start().starts_with('{') {
        return Ok(input.to_owned());
    }
    let path = Path::new(input);
    // An invitation is at most 64 KiB of text; a PNG of one well under this.
    const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > MAX_FILE_BYTES
    {
        anyhow::bail!("{input} is {} bytes, too large to be an invitation", meta.len());
    }
    let bytes =
        std::fs::read(path).with_context(|| format!("`{input}` is not a URL, and reading it as a file failed"))?;
    if bytes.starts_with(b"\x89PNG") {
        return qr::decode_image(path);
    }
    String::from_utf8(bytes).with_context(|| format!("{input} is neither text nor a PNG image"))
}
