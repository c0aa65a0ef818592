//! One HTTP policy for every request a party makes (its mediator, short links, DID ledgers,
//! did:web hosts): every one of them answers from the open internet, so each request has a
//! deadline, follows few redirects, and reads its response incrementally up to a cap instead of
//! taking whatever size a hostile server sends.
//!
//! TLS is rustls with ring, the one crypto provider of the workspace (iroh and the mediator use
//! it too), and the operating system's certificate verifier.

use std::time::Duration;

use crate::error::{Error, Result};

/// The whole request, from connecting to the last byte of the response.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting alone (a host that drops SYNs fails fast).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed where following them is allowed at all.
pub const MAX_REDIRECTS: usize = 3;

/// Whether a request may be redirected: content that is checked by hash or signature may come
/// from anywhere; a ledger or did:web host must answer at the address the DID names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirects {
    /// Follow up to [`MAX_REDIRECTS`] redirects.
    Follow,
    /// Follow none: a redirect is an error.
    Refuse,
}

/// The environment variable that allows plain `http://` to hosts other than this machine (labs
/// and test networks; `--insecure-http` on the command line).
pub const INSECURE_HTTP_ENV: &str = "MPC_ID_INSECURE_HTTP";

static PLAIN_HTTP_ANYWHERE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Allows plain `http://` to any host for the rest of the process (`--insecure-http`).
pub fn allow_plain_http_anywhere() {
    PLAIN_HTTP_ANYWHERE.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether a request may go to `url`: HTTPS anywhere, plain HTTP only to this machine (loopback
/// addresses and `localhost`), unless plain HTTP was allowed for a lab. Parties' messages, relay
/// traffic and DID documents would otherwise cross networks in the clear, metadata and all.
pub fn check_scheme(url: &str) -> Result<()> {
    let parsed = url::Url::parse(url).map_err(|e| transport(url, format!("not a URL ({e})")))?;
    match parsed.scheme() {
        "https" | "wss" => Ok(()),
        "http" | "ws" => {
            let local = match parsed.host() {
                Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            let allowed = PLAIN_HTTP_ANYWHERE.load(std::sync::atomic::Ordering::Relaxed)
                || std::env::var_os(INSECURE_HTTP_ENV).is_some_and(|v| !v.is_empty() && v != "0");
            if local || allowed {
                Ok(())
            } else {
                Err(transport(
                    url,
                    "plain http:// is only for this machine: use the https:// address (or, in a lab, \
                     --insecure-http / MPC_ID_INSECURE_HTTP=1)",
                ))
            }
        }
        other => Err(transport(url, format!("`{other}:` is not a web address (use https://)"))),
    }
}

/// A client with the policy.
pub fn client(redirects: Redirects) -> Result<reqwest::Client> {
    let policy = match redirects {
        Redirects::Follow => reqwest::redirect::Policy::limited(MAX_REDIRECTS),
        Redirects::Refuse => reqwest::redirect::Policy::none(),
    };
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(policy)
        .build()
        .map_err(|e| transport("(HTTP client)", e))
}

/// TLS 1.2 and 1.3 with ring, certificates checked as [`crate::tls`] says (the system's roots
/// and a private CA's), HTTP/2 or HTTP/1.1 by ALPN. Built here rather than by reqwest, whose own
/// default would link a second crypto provider (aws-lc) into every binary.
fn tls_config() -> Result<rustls::ClientConfig> {
    crate::tls::client_config(&[b"h2", b"http/1.1"])
}

/// The body of `response`, read chunk by chunk and refused as soon as it passes `max` bytes.
pub async fn read_capped(mut response: reqwest::Response, url: &str, max: usize) -> Result<Vec<u8>> {
    if response.content_length().is_some_and(|length| length > max as u64) {
        return Err(too_large(url, max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(url, e))? {
        if body.len() + chunk.len() > max {
            return Err(too_large(url, max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// [`read_capped`] as UTF-8 text.
pub async fn text_capped(response: reqwest::Response, url: &str, max: usize) -> Result<String> {
    let body = read_capped(response, url, max).await?;
    String::from_utf8(body).map_err(|_| transport(url, "the response is not UTF-8"))
}

/// A failed request in words a user can act on: reqwest's own message ("error sending request")
/// leaves out why.
pub fn explain(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no complete answer within {} s (timed out)", TIMEOUT.as_secs());
    }
    if error.is_redirect() {
        return format!("more than {MAX_REDIRECTS} redirects, or a redirect where none is allowed");
    }
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    match crate::tls::certificate_hint(&reason) {
        Some(hint) => format!("{reason}; {hint}"),
        None => reason,
    }
}

fn too_large(url: &str, max: usize) -> Error {
    transport(url, format!("the response is larger than the {max} bytes accepted"))
}

fn transport(url: &str, reason: impl std::fmt::Display) -> Error {
    Error::Transport { url: url.to_owned(), reason: reason.to_string() }
}

/// The directory a mediator's paths are under, from its base URL or its DIDComm endpoint, with
/// or without a path in front (a proxy that maps `https://host/mpc/` to it): `https://host/mpc/`
/// for `https://host/mpc`, `https://host/mpc/` and `https://host/mpc/didcomm` alike.
pub(crate) fn mediator_base(url: &str) -> Result<url::Url> {
    let mut base = url::Url::parse(url).map_err(|e| transport(url, e))?;
    base.set_query(None);
    base.set_fragment(None);
    let path = base.path().trim_end_matches('/');
    let path = path.strip_suffix("/didcomm").unwrap_or(path).to_owned();
    base.set_path(&format!("{path}/"));
    Ok(base)
}
