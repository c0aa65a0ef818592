//! Pages for people: what a phone's browser shows when its camera opens a short link.
//!
//! A browser asking for an invitation (`Accept: text/html`) gets a page; every other client gets
//! the invitation's bytes exactly as before, so its `_oobid` hash still matches. The page says
//! who invites (label where the DID names one, and the abbreviated DID), what for (a session's
//! program, parties, arguments and MPyC version, and the proofs it requires of a joiner: a
//! credential from an issuer, control of a domain), until when, the command that joins, and the
//! link's QR code to pass on. It works without JavaScript; with it, the signature is checked in
//! the browser (Ed25519 through WebCrypto) against the key the DID itself carries, so the page
//! does not ask anyone to trust this mediator, which served it.
//!
//! Nothing on the page comes from elsewhere: its script and style are served here, under a
//! Content-Security-Policy that allows nothing else. Everything taken from the invitation is
//! escaped; the invitation itself travels in a JSON data block the script reads.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mpc_identity::did::abbreviate;
use serde_json::Value;

/// The page's Content-Security-Policy: its own script and style, nothing else.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The script that checks the signature and copies the command.
pub(crate) const SCRIPT: &str = include_str!("../assets/invitation.js");
/// The page's style.
pub(crate) const STYLE: &str = include_str!("../assets/invitation.css");

/// The page of the signed invitation `jws` (as stored), published at `link`, at time `now`.
pub(crate) fn invitation_page(jws: &str, link: &str, now: u64) -> String {
    let invitation = payload(jws).unwrap_or(Value::Null);
    let from = invitation["from"].as_str().unwrap_or("(unknown)");
    let expires = invitation["expires_time"].as_u64().unwrap_or(0);
    let offer = invitation["attachments"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["id"] == "mpc-id-session"))
        .map(|a| &a["data"]["json"]);

    let mut what = String::new();
    let command = match offer {
        Some(offer) => {
            let program = offer["program_name"].as_str().unwrap_or("PROGRAM");
            what.push_str(&row("Session", &text(&offer["name"])));
            what.push_str(&row("Parties", &text(&offer["parties"])));
            if let Some(name) = offer["program_name"].as_str() {
                what.push_str(&row("Program", name));
            }
            if let Some(hash) = offer["program_sha256"].as_str() {
                what.push_str(&row_code("Program SHA-256", hash));
            }
            let args: Vec<&str> = offer["args"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            if !args.is_empty() {
                what.push_str(&row_code("Arguments", &args.join(" ")));
            }
            what.push_str(&row("MPyC", &text(&offer["mpyc_version"])));
            // What a joiner must prove: shown apart from anything the host says of itself, as
            // the proofs the host (and every party, from the manifest) will check.
            for requirement in offer["requirements"].as_array().into_iter().flatten() {
                what.push_str(&row("Proof required", &requirement_text(requirement)));
            }
            let roles: Vec<&Value> = offer["roles"].as_array().into_iter().flatten().collect();
            for role in &roles {
                let args: Vec<&str> = role["args"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                what.push_str(&row_code(
                    &format!("Role {}", text(&role["name"])),
                    &format!(
                        "{} sha256 {} {}",
                        text(&role["program_name"]),
                        text(&role["program_sha256"]),
                        args.join(" ")
                    ),
                ));
            }
            if !roles.is_empty() {
                format!("mpc-id session join '{link}' --role ROLE --program PROGRAM")
            } else if offer["program_url"].is_string() {
                what.push_str(&row("Program files", "shared by the host: fetched, checked and shown when you join"));
                format!("mpc-id session join '{link}'")
            } else {
                format!("mpc-id session join '{link}' --program {}", shell_word(program))
            }
        }
        None => format!("mpc-id peers add '{link}'"),
    };
    let goal = invitation["body"]["goal"].as_str().or(invitation["body"]["goal_code"].as_str()).unwrap_or("connect");
    let who = match label_of(from) {
        Some(label) => format!("<strong>{}</strong> <code>{}</code>", escape(label), escape(&abbreviate(from))),
        None => format!("<code>{}</code>", escape(&abbreviate(from))),
    };
    let qr = qr_svg(link);
    // `</` cannot end the data block early: JSON allows `\/` for `/`.
    let data = jws.replace("</", "<\\/");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>mpc-id invitation from {title}</title>
<link rel="stylesheet" href="assets/invitation.css">
<script src="assets/invitation.js" defer></script>
</head>
<body>
<main>
<h1>An mpc-id invitation</h1>
<p class="who">From {who}</p>
<p id="check" class="check unchecked">Signature not checked here: this browser runs no JavaScript.
mpc-id checks it when you run the command below.</p>
<dl>
{goal_row}{what}{expires_row}<dt>DID</dt><dd><code class="did">{did}</code></dd>
</dl>
<h2>Join</h2>
<p>With mpc-id installed, run:</p>
<pre id="command">{command}</pre>
<button id="copy" type="button" hidden>Copy the command</button>
<h2>Pass it on</h2>
<div class="qr" role="img" aria-label="QR code of this link">{qr}</div>
<p class="link"><code>{link_text}</code></p>
</main>
<script type="application/json" id="invitation">{data}</script>
</body>
</html>
"#,
        title = escape(label_of(from).unwrap_or(&abbreviate(from))),
        goal_row = row("For", goal),
        expires_row = row("Expires", &expiry(expires, now)),
        did = escape(from),
        command = escape(&command),
        link_text = escape(link),
    )
}

/// The invitation a JWS carries, unverified (the store holds only verified ones; the page's
/// script verifies again, in the browser).
fn payload(jws: &str) -> Option<Value> {
    let envelope: Value = serde_json::from_str(jws).ok()?;
    let bytes = URL_SAFE_NO_PAD.decode(envelope["payload"].as_str()?).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The name a DID gives its party, where it gives one: a did:webvh's last path segment.
fn label_of(did: &str) -> Option<&str> {
    if !did.starts_with("did:webvh:") {
        return None;
    }
    did.rsplit(':').next().filter(|name| !name.is_empty() && !name.contains('%'))
}

fn expiry(expires: u64, now: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(expires);
    let when = humantime::format_rfc3339_seconds(at).to_string().replace('T', " ").replace('Z', " UTC");
    if expires <= now {
        return format!("{when} (expired)");
    }
    let left = expires - now;
    let left = if left >= 3600 {
        format!("{} h {} min", left / 3600, (left % 3600) / 60)
    } else {
        format!("{} min", left.div_ceil(60))
    };
    format!("{when} (in {left})")
}

fn row(name: &str, value: &str) -> String {
    format!("<dt>{}</dt><dd>{}</dd>\n", escape(name), escape(value))
}

fn row_code(name: &str, value: &str) -> String {
    format!("<dt>{}</dt><dd><code>{}</code></dd>\n", escape(name), escape(value))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "(not given)".to_owned(),
        other => other.to_string(),
    }
}

/// A file name as one shell word: quoted unless it is plainly safe.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// HTML text and attribute escaping.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The link as an inline SVG QR code (no image, no script needed to see it).
fn qr_svg(link: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(link, qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build()
            // The renderer starts with an XML declaration, which inline SVG must not carry.
            .split_once("<svg")
            .map(|(_, svg)| format!("<svg{svg}"))
            .unwrap_or_default(),
        Err(_) => String::from("(the link is too long for a QR code)"),
    }
}

/// A proof a session requires, in words: `a Member credential from did:webvh:Qm…xyz`,
/// `control of https://example.org`.
fn requirement_text(requirement: &Value) -> String {
    match requirement["kind"].as_str() {
        Some("credential") => {
            let issuer = abbreviate(requirement["issuer"].as_str().unwrap_or("(no issuer)"));
            match requirement["type"].as_str() {
                Some(kind) => format!("a {kind} credential from {issuer}, about the joiner's DID"),
                None => format!("a credential from {issuer}, about the joiner's DID"),
            }
        }
        Some("domain") => {
            format!("control of {} (its DID configuration links the joiner's DID)", text(&requirement["origin"]))
        }
        _ => format!("{} (not understood here; mpc-id explains it when you join)", text(requirement)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The proofs a session requires are on its page, in words, escaped like everything else.
    #[test]
    fn a_sessions_required_proofs_are_on_its_page() {
        let offer = serde_json::json!({
            "session": "0123456789abcdef0123456789abcdef", "name": "audit", "parties": 3,
            "args": [], "mpyc_version": "0.11", "mpyc_ssl": false,
            "requirements": [
                { "kind": "credential", "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "type": "Member<b>" },
                { "kind": "domain", "origin": "https://hospital.example" },
            ],
        });
        let payload = serde_json::json!({
            "type": "https://didcomm.org/out-of-band/2.0/invitation", "from": "did:key:z6Mk",
            "body": { "goal_code": "mpc-id.session" }, "expires_time": 10,
            "attachments": [{ "id": "mpc-id-session", "data": { "json": offer } }],
        });
        let jws = serde_json::json!({ "payload": URL_SAFE_NO_PAD.encode(payload.to_string()), "signatures": [] });
        let page = invitation_page(&jws.to_string(), "http://localhost/oob?_oobid=x", 0);
        assert!(page.contains("<dt>Proof required</dt><dd>a Member&lt;b&gt; credential from did:key:z6Mkha"), "{page}");
        assert!(page.contains("control of https://hospital.example"), "{page}");
    }

    #[test]
    fn text_from_the_invitation_is_escaped() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(shell_word("sum.py"), "sum.py");
        assert_eq!(shell_word("my prog's.py"), r"'my prog'\''s.py'");
    }

    #[test]
    fn a_data_block_cannot_be_closed_by_the_invitation() {
        let jws = r#"{"payload":"x","signatures":[],"note":"</script><script>alert(1)</script>"}"#;
        let page = invitation_page(jws, "http://localhost/oob?_oobid=x", 0);
        assert!(!page.contains("</script><script>alert"), "{page}");
    }
}
