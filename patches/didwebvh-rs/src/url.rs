use crate::{DIDWebVHError, host_policy::HostPolicy};
use chrono::{DateTime, FixedOffset};
use std::fmt::{Display, Formatter};
use url::Url;

type QueryPairs = (Option<String>, Option<DateTime<FixedOffset>>, Option<u32>);

/// Distinguishes the type of resource a WebVH URL points to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum URLType {
    /// Regular DID Documentation lookup
    DIDDoc,

    /// WebVH Whois lookup
    WhoIs,
}

/// Breakdown of a WebVH URL into its components
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebVHURL {
    /// What type of URL is this?
    pub type_: URLType,

    /// Initial full URL
    pub did_url: String,

    /// Self Certifying IDentifier (SCID)
    pub scid: String,

    /// Domain name for this DID
    pub domain: String,

    /// Custom port if specified
    pub port: Option<u16>,

    /// URL Path component
    /// Always has a trailing slash
    /// i.e. /.well-known/
    /// i.e. /custom/path/
    pub path: String,

    /// URL fragment
    pub fragment: Option<String>,

    /// URL Query
    pub query: Option<String>,

    /// file_name
    pub file_name: Option<String>,

    /// WebVH supports query options to resolve a specific version or which LogEntry was active at
    /// a particuliar time
    /// Helper pointing to versionId
    pub query_version_id: Option<String>,

    /// Helper pointing to versionTime
    pub query_version_time: Option<DateTime<FixedOffset>>,

    /// Helper pointing to versionNumber
    pub query_version_number: Option<u32>,
}

impl WebVHURL {
    /// Parses a WebVH URL and returns a WebVHURL struct
    pub fn parse_did_url(url: &str) -> Result<WebVHURL, DIDWebVHError> {
        // may already have the did prefix stripped
        let url = if let Some(prefix) = url.strip_prefix("did:webvh:") {
            prefix
        } else if url.starts_with("did:") {
            return Err(DIDWebVHError::UnsupportedMethod(format!(
                "Expected did:webvh, got: {}",
                url.split(':').take(3).collect::<Vec<_>>().join(":")
            )));
        } else {
            url
        };

        // split fragment from the rest of the URL
        let (prefix, fragment) = match url.split_once('#') {
            Some((prefix, fragment)) => (prefix, Some(fragment.to_string())),
            None => (url, None),
        };

        // split query from the rest of the URL
        let (prefix, query) = match prefix.split_once('?') {
            Some((prefix, query)) => (prefix, Some(query.to_string())),
            None => (prefix, None),
        };

        let (query_version_id, query_version_time, query_version_number) =
            Self::parse_query(query.as_deref())?;

        // Expect minimum of two parts (SCID, domain)
        // May contain three parts (SCID, domain, path)
        let parts = prefix.split(':').collect::<Vec<_>>();

        if parts.len() < 2 {
            return Err(DIDWebVHError::InvalidMethodIdentifier(
                "Invalid URL: Must contain SCID and domain".to_string(),
            ));
        }

        let scid = parts[0].to_string();

        // Percent-encoding is case-insensitive (RFC 3986 §2.1). Matching only the
        // uppercase form would leave `example.com%3a8080` glued together as the
        // "domain" and the port would be silently dropped.
        let (domain, port) = match parts[1]
            .split_once("%3A")
            .or_else(|| parts[1].split_once("%3a"))
        {
            Some((domain, port)) => {
                let port = match port.parse::<u16>() {
                    Ok(port) => port,
                    Err(err) => {
                        return Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                            "Invalid URL: Port ({port}) must be a number: {err}",
                        )));
                    }
                };
                (domain.to_string(), Some(port))
            }
            None => (parts[1].to_string(), None),
        };

        Self::reject_ip_address(&domain)?;

        let mut path = String::new();
        let mut file_name = String::new();
        for part in parts[2..].iter() {
            // These segments are joined with '/' into the HTTP path that the
            // resolver fetches. Reject anything that would let a crafted DID
            // escape its directory (`..`), collapse to the current dir (`.`),
            // produce `//` (empty), or smuggle an extra separator (`/`, `\`).
            // The check runs on the *percent-decoded* segment because the raw
            // segment is later passed through Url::parse, which decodes and
            // normalises — so `%2E%2E` would otherwise survive the literal
            // `..` check here and then collapse into a parent-dir reference.
            let decoded = percent_encoding::percent_decode_str(part).decode_utf8_lossy();
            if decoded.is_empty()
                || decoded == "."
                || decoded == ".."
                || decoded.contains(['/', '\\'])
            {
                return Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                    "Invalid URL: path segment ({part:?}) is not allowed",
                )));
            }
            if part != &"whois" {
                path.push('/');
                path.push_str(part);
            }
        }
        if path.is_empty() {
            path = "/.well-known/".to_string();
        } else {
            // add a trailing slash to the path
            path.push('/');
        }

        let type_ = if parts.len() > 2 && parts[parts.len() - 1] == "whois" {
            if path == "/.well-known/" {
                path = "/".to_string()
            }
            file_name.push_str("whois.vp");
            URLType::WhoIs
        } else {
            file_name.push_str("did.jsonl");
            URLType::DIDDoc
        };

        Ok(WebVHURL {
            type_,
            did_url: url.to_string(),
            scid,
            domain,
            port,
            path,
            fragment,
            query,
            file_name: Some(file_name),
            query_version_id,
            query_version_time,
            query_version_number,
        })
    }

    /// Parses a http URL and returns a WebVHURL struct
    pub fn parse_url(url: &Url) -> Result<WebVHURL, DIDWebVHError> {
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(DIDWebVHError::InvalidMethodIdentifier(
                "Invalid URL: Must be http or https".to_string(),
            ));
        }

        let fragment = url.fragment();
        let (query_version_id, query_version_time, query_version_number) =
            Self::parse_query(url.query())?;

        let Some(domain) = url.domain() else {
            // url::Url::domain() returns None for IP addresses — provide a specific error
            if let Some(host) = url.host_str() {
                return Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                    "Invalid URL: IP addresses are not allowed, use a domain name instead: {host}",
                )));
            }
            return Err(DIDWebVHError::InvalidMethodIdentifier(
                "Invalid URL: Must contain domain".to_string(),
            ));
        };
        let port = url.port();

        // Defense-in-depth: reject IP addresses even if they somehow pass domain()
        Self::reject_ip_address(domain)?;

        let (type_, path, file_name) = if url.path() == "/" {
            (
                URLType::DIDDoc,
                "/.well-known/".to_string(),
                Some("did.jsonl".to_string()),
            )
        } else if url.path().ends_with("/whois") {
            (URLType::WhoIs, "/whois.vp".to_string(), None)
        } else if url.path().ends_with("/did.jsonl") {
            (
                URLType::DIDDoc,
                url.path()
                    .to_string()
                    .trim_end_matches("did.jsonl")
                    .to_string(),
                Some("did.jsonl".to_string()),
            )
        } else {
            (
                URLType::DIDDoc,
                if url.path().ends_with('/') {
                    url.path().to_string()
                } else {
                    format!("{}/", url.path())
                },
                Some("did.jsonl".to_string()),
            )
        };

        Ok(WebVHURL {
            type_,
            did_url: url.to_string(),
            scid: "{SCID}".to_string(),
            domain: domain.to_string(),
            port,
            path,
            fragment: fragment.map(|s| s.to_string()),
            query: url.query().map(|s| s.to_string()),
            file_name,
            query_version_id,
            query_version_time,
            query_version_number,
        })
    }

    /// Re-check the host *after* `Url::parse` has normalised it.
    ///
    /// Defense in depth: `reject_ip_address()` already rejects IP literals at
    /// parse time, but a `WebVHURL` can also be constructed field-by-field, and
    /// the path/port components are re-joined into a string before being handed
    /// back to `Url::parse`. This is the last check before the resolver hands
    /// the URL to an HTTP client, so it looks at the host that client will
    /// actually connect to.
    fn reject_ip_host(url: &Url) -> Result<(), DIDWebVHError> {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                "Invalid URL: IP addresses are not allowed, use a domain name instead: {ip}",
            ))),
            Some(url::Host::Ipv6(ip)) => Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                "Invalid URL: IP addresses are not allowed, use a domain name instead: {ip}",
            ))),
            Some(url::Host::Domain(_)) => Ok(()),
            None => Err(DIDWebVHError::InvalidMethodIdentifier(
                "Invalid URL: Must contain domain".to_string(),
            )),
        }
    }

    /// Rejects IP addresses (both IPv4 and IPv6) as the domain component.
    /// The did:webvh spec requires domain names, not IP addresses.
    ///
    /// The host is run through `url::Host::parse` rather than `IpAddr::from_str`
    /// so that the rule is applied to whatever the HTTP client will ultimately
    /// connect to. `Host::parse` percent-decodes (case-insensitively, per
    /// RFC 3986 §2.1), applies IDNA, and canonicalises the alternate IPv4
    /// spellings (`2130706433`, `0x7f.0.0.1`, `127.1`) — all of which a check
    /// against the raw DID segment would wave through as a "domain name",
    /// only for `Url::parse` to normalise them back into a loopback or
    /// link-local address later.
    fn reject_ip_address(domain: &str) -> Result<(), DIDWebVHError> {
        match url::Host::parse(domain) {
            Ok(url::Host::Domain(_)) => Ok(()),
            Ok(url::Host::Ipv4(ip)) => Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                "Invalid URL: IP addresses are not allowed, use a domain name instead: {ip}",
            ))),
            Ok(url::Host::Ipv6(ip)) => Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                "Invalid URL: IP addresses are not allowed, use a domain name instead: {ip}",
            ))),
            Err(err) => Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                "Invalid URL: host ({domain}) is not a valid domain name: {err}",
            ))),
        }
    }

    /// Parses URL query parameters and returns:
    /// Error if versionTime or VersionId are invalid parameters
    /// None if there is no valid qauery
    /// (versionId, versionTime, versionNumber) if valid query parameters exist
    fn parse_query(
        // Example query string = "versionId=1-test&versionTime=1996-12-19T16:39:57-08:00"
        query: Option<&str>,
    ) -> Result<QueryPairs, DIDWebVHError> {
        if let Some(query) = query {
            let mut version_id = None;
            let mut version_time = None;
            let mut version_number = None;
            for parameter in query.split('&') {
                if let Some((key, value)) = parameter.split_once('=') {
                    if key == "versionId" {
                        version_id = Some(value.to_string());
                    } else if key == "versionTime" {
                        version_time = Some(DateTime::parse_from_rfc3339(value)
                            .map_err(|e| {
                                DIDWebVHError::DIDError(format!("DID Query parameter (versionTime) is invalid. Must be RFC 3339 compliant: {e}"
                                ))
                            })?);
                    } else if key == "versionNumber" {
                        version_number = Some(str::parse(value).map_err(|e| {
                            DIDWebVHError::DIDError(format!("DID Query parameter (versionNumber) is invalid. Must be a positive integer: {e}"
                            ))
                        })?);
                    }
                } else {
                    return Err(DIDWebVHError::DIDError(format!(
                        "DID Query parameter ({parameter}) is invalid. Must be in the format key=value."
                    )));
                }
            }
            // Only one of versionId, versionTime, or versionNumber may be specified
            let count = [
                version_id.is_some(),
                version_time.is_some(),
                version_number.is_some(),
            ]
            .iter()
            .filter(|&&v| v)
            .count();
            if count > 1 {
                return Err(DIDWebVHError::DIDError(
                    "Only one of versionId, versionTime, or versionNumber may be specified"
                        .to_string(),
                ));
            }

            Ok((version_id, version_time, version_number))
        } else {
            Ok((None, None, None))
        }
    }

    // Returns the base HTTP URL without any path or file name
    fn get_http_base_url(&self) -> String {
        let mut url_string = String::new();

        if self.domain == "localhost" {
            url_string.push_str("http://");
        } else {
            url_string.push_str("https://");
        }

        url_string.push_str(&self.domain);

        if let Some(port) = self.port {
            url_string.push_str(&format!(":{port}",));
        }

        url_string
    }

    /// Builds the URL that network resolution fetches `file_name` from, under
    /// `policy`.
    ///
    /// This is the egress check. The host is canonicalised (percent-decoding,
    /// IDNA, case) and checked against `policy` before the URL is assembled,
    /// and again on the host of the parsed URL. `http://` is used only under
    /// [`HostPolicy::AllowPrivate`] for `localhost` / `*.localhost`; every other
    /// case uses `https://`. The DID fragment is not included.
    ///
    /// Use this, not [`get_http_url`](Self::get_http_url), for anything that
    /// fetches a did:webvh resource.
    pub fn get_fetch_url(&self, file_name: &str, policy: HostPolicy) -> Result<Url, DIDWebVHError> {
        Self::reject_ip_address(&self.domain)?;
        let host = match url::Host::parse(&self.domain) {
            Ok(url::Host::Domain(host)) => host,
            _ => {
                return Err(DIDWebVHError::InvalidMethodIdentifier(format!(
                    "Invalid URL: host ({}) is not a valid domain name",
                    self.domain
                )));
            }
        };
        policy.check_host(&host)?;

        let mut url_string = format!("{}://{host}", policy.fetch_scheme(&host));
        if let Some(port) = self.port {
            url_string.push_str(&format!(":{port}"));
        }
        url_string.push_str(&self.path);
        url_string.push_str(file_name);
        if let Some(query) = &self.query {
            url_string.push_str(&format!("?{query}"));
        }

        let url = Url::parse(&url_string)
            .map_err(|err| DIDWebVHError::InvalidMethodIdentifier(format!("Invalid URL: {err}")))?;
        Self::reject_ip_host(&url)?;
        // Check the host the HTTP client will actually be given.
        policy.check_host(url.host_str().unwrap_or_default())?;
        Ok(url)
    }

    /// Creates a HTTP URL from webvh DID
    /// Can specify a file_name depending on the operation
    /// If None, then the default file_name will be used
    ///
    /// This renders the URL for display and for the implicit `#files` /
    /// `#whois` service endpoints. It does not apply a [`HostPolicy`]; code
    /// that fetches from the URL should use
    /// [`get_fetch_url`](Self::get_fetch_url) instead.
    ///
    /// `localhost` renders as `http://`. That is a special case for local
    /// testing only, so that a DID served from a developer machine yields
    /// usable URLs. It is not a production path: resolution never fetches a
    /// `localhost` DID unless the caller opts in with
    /// [`HostPolicy::AllowPrivate`].
    pub fn get_http_url(&self, file_name: Option<&str>) -> Result<Url, DIDWebVHError> {
        let mut url_string = self.get_http_base_url();

        url_string.push_str(&self.path);
        if let Some(file_name) = file_name {
            url_string.push_str(file_name);
        } else if let Some(file_name) = &self.file_name {
            url_string.push_str(file_name);
        }

        if let Some(query) = &self.query {
            url_string.push_str(&format!("?{query}",));
        }
        if let Some(fragment) = &self.fragment {
            url_string.push_str(&format!("#{fragment}",));
        }

        let url = Url::parse(&url_string)
            .map_err(|err| DIDWebVHError::InvalidMethodIdentifier(format!("Invalid URL: {err}")))?;
        Self::reject_ip_host(&url)?;
        Ok(url)
    }

    /// Returns the URL for a whois.vp file location
    /// NOTE: This will strip out /.well-known if it exists
    pub fn get_http_whois_url(&self) -> Result<Url, DIDWebVHError> {
        let mut url_string = self.get_http_base_url();

        if self.path == "/.well-known/" {
            // Strip the /.well-known/ path if it exists
            url_string.push_str("/whois.vp");
        } else {
            url_string.push_str(&self.path);
            url_string.push_str("whois.vp");
        }

        let url = Url::parse(&url_string)
            .map_err(|err| DIDWebVHError::InvalidMethodIdentifier(format!("Invalid URL: {err}")))?;
        Self::reject_ip_host(&url)?;
        Ok(url)
    }

    /// Returns the URL for the #files service URL
    /// NOTE: This will strip out /.well-known if it exists
    pub fn get_http_files_url(&self) -> Result<Url, DIDWebVHError> {
        let mut url_string = self.get_http_base_url();

        if self.path == "/.well-known/" {
            // Strip the /.well-known/ path if it exists
            url_string.push('/');
        } else {
            url_string.push_str(&self.path);
        }

        let url = Url::parse(&url_string)
            .map_err(|err| DIDWebVHError::InvalidMethodIdentifier(format!("Invalid URL: {err}")))?;
        Self::reject_ip_host(&url)?;
        Ok(url)
    }
}

impl WebVHURL {
    /// Returns the base DID string (without query parameters or fragment).
    /// This is the format expected as the top-level `id` in a DID Document.
    pub fn to_did_base(&self) -> String {
        let mut url_string = String::from("did:webvh:");
        url_string.push_str(&self.scid);
        url_string.push(':');
        url_string.push_str(&self.domain);
        if let Some(port) = self.port {
            url_string.push_str(&format!("%3A{port}"));
        }
        if self.path != "/.well-known/" {
            url_string.push_str(&self.path.trim_end_matches("/").replace('/', ":"));
        }
        url_string
    }
}

impl Display for WebVHURL {
    /// Handles converting a WebVHURL to a WebVH DID representation
    fn fmt(&self, f: &mut Formatter<'_>) -> std::fmt::Result {
        let mut url_string = String::new();
        url_string.push_str("did:webvh:");
        url_string.push_str(&self.scid);
        url_string.push(':');
        url_string.push_str(&self.domain);
        if let Some(port) = self.port {
            url_string.push_str(&format!("%3A{port}",));
        }

        if self.path != "/.well-known/" {
            url_string.push_str(&self.path.trim_end_matches("/").replace('/', ":"));
        }

        if let Some(query) = &self.query {
            url_string.push('?');
            url_string.push_str(query);
        }
        if let Some(fragment) = &self.fragment {
            url_string.push('#');
            url_string.push_str(fragment);
        }
        write!(f, "{url_string}",)
    }
}

#[cfg(test)]
mod tests {
    use url::Url;

    use crate::{
        DIDWebVHError,
        url::{URLType, WebVHURL},
    };

    #[test]
    fn wrong_method() {
        assert!(WebVHURL::parse_did_url("did:wrong:method").is_err())
    }

    #[test]
    fn url_with_fragment() {
        let parsed = match WebVHURL::parse_did_url("did:webvh:scid:example.com#key-fragment") {
            Ok(parsed) => parsed,
            Err(_) => panic!("Failed to parse URL"),
        };

        assert_eq!(parsed.fragment, Some("key-fragment".to_string()));
        assert_eq!(parsed.domain, "example.com");
    }

    #[test]
    fn url_with_fragment_no_query_does_not_leak_into_domain() {
        // Regression: when a fragment was present but no query, the query-split
        // fallback restored the original (fragment-bearing) string as the prefix,
        // so the domain became `127.0.0.1#x` and dodged reject_ip_address().
        assert!(WebVHURL::parse_did_url("did:webvh:scid:127.0.0.1#x").is_err());

        let parsed = WebVHURL::parse_did_url("did:webvh:scid:example.com:dir#frag").unwrap();
        assert_eq!(parsed.domain, "example.com");
        assert_eq!(parsed.path, "/dir/");
        assert_eq!(parsed.fragment, Some("frag".to_string()));
    }

    #[test]
    fn url_with_query() {
        let parsed = match WebVHURL::parse_did_url("did:webvh:scid:example.com?versionId=1-xyz") {
            Ok(parsed) => parsed,
            Err(_) => panic!("Failed to parse URL"),
        };

        assert_eq!(parsed.query, Some("versionId=1-xyz".to_string()));
    }

    #[test]
    fn url_with_query_version_number() {
        let parsed = match WebVHURL::parse_did_url("did:webvh:scid:example.com?versionNumber=13") {
            Ok(parsed) => parsed,
            Err(_) => panic!("Failed to parse URL"),
        };

        assert_eq!(parsed.query_version_number, Some(13));
    }

    #[test]
    fn missing_parts() {
        assert!(WebVHURL::parse_did_url("did:webvh:domain").is_err());
        assert!(WebVHURL::parse_did_url("did:webvh:domain#test").is_err());
    }

    #[test]
    fn url_with_port() {
        assert!(WebVHURL::parse_did_url("did:webvh:scid:domain%3A8000").is_ok());
    }

    #[test]
    fn url_with_lowercase_pct_port() -> Result<(), DIDWebVHError> {
        let parsed = WebVHURL::parse_did_url("did:webvh:scid:domain%3a8000")?;
        assert_eq!(parsed.domain, "domain");
        assert_eq!(parsed.port, Some(8000));
        Ok(())
    }

    #[test]
    fn url_rejects_ipv4_with_lowercase_pct_port() {
        // Previously slipped past reject_ip_address() because the unparsed
        // `%3a8080` suffix stayed glued to the host.
        assert!(WebVHURL::parse_did_url("did:webvh:scid:127.0.0.1%3a8080").is_err());
    }

    /// Regression: `reject_ip_address()` used to run `IpAddr::from_str` on the
    /// raw, still-percent-encoded domain segment, so `127%2E0%2E0%2E1` was not
    /// an `IpAddr` and passed — `Url::parse` then decoded it to `127.0.0.1` and
    /// the resolver would fetch from localhost. The check now goes through
    /// `url::Host::parse`, which decodes before classifying, so the DID is
    /// rejected at parse time with no fetch attempted.
    ///
    /// Matches the `negative-pct-encoded-ip-host` vector in didwebvh-test-suite,
    /// which expects `invalidDid` from the parser itself.
    #[test]
    fn url_rejects_pct_encoded_ip_host() {
        for did in [
            "did:webvh:scid:127%2E0%2E0%2E1",
            "did:webvh:scid:127%2e0%2e0%2e1",
            "did:webvh:scid:169%2E254%2E169%2E254",
            "did:webvh:scid:127%2E0%2E0%2E1%3A8080",
        ] {
            let err = WebVHURL::parse_did_url(did).expect_err("must be rejected at parse time");
            assert!(
                err.to_string().contains("IP addresses are not allowed"),
                "{did} -> {err}"
            );
        }
    }

    /// The raw-string check also missed every non-dotted-quad spelling of an
    /// IPv4 address. `Url::parse` canonicalises all of these to `127.0.0.1`.
    #[test]
    fn url_rejects_alternate_ipv4_spellings() {
        for did in [
            "did:webvh:scid:2130706433",
            "did:webvh:scid:0x7f.0.0.1",
            "did:webvh:scid:127.1",
            "did:webvh:scid:0177.0.0.1",
        ] {
            let err = WebVHURL::parse_did_url(did).expect_err("must be rejected at parse time");
            assert!(
                err.to_string().contains("IP addresses are not allowed"),
                "{did} -> {err}"
            );
        }
    }

    /// A host segment that survives the DID split but is not a legal URL host
    /// (empty, or containing a forbidden character once decoded) must also be
    /// rejected rather than carried into `Url::parse` later.
    #[test]
    fn url_rejects_malformed_host() {
        for did in [
            "did:webvh:scid:",
            "did:webvh:scid:a%2Fb",
            "did:webvh:scid:1.2.3.4.5",
        ] {
            assert!(
                WebVHURL::parse_did_url(did).is_err(),
                "{did} should be rejected"
            );
        }
    }

    #[test]
    fn url_with_bad_port() {
        assert!(WebVHURL::parse_did_url("did:webvh:scid:domain%3A8bad").is_err());
        assert!(WebVHURL::parse_did_url("did:webvh:scid:domain%3A999999").is_err());
    }

    #[test]
    fn url_with_whois() -> Result<(), DIDWebVHError> {
        let result = WebVHURL::parse_did_url("did:webvh:scid:domain%3A8000:whois")?;
        assert_eq!(result.type_, URLType::WhoIs);
        assert_eq!(result.path, "/");
        assert_eq!(result.file_name, Some("whois.vp".to_string()));
        Ok(())
    }

    #[test]
    fn url_with_whois_path() -> Result<(), DIDWebVHError> {
        let result = WebVHURL::parse_did_url("did:webvh:scid:domain%3A8000:custom:path:whois")?;
        assert_eq!(result.type_, URLType::WhoIs);
        assert_eq!(result.path, "/custom/path/");
        assert_eq!(result.file_name, Some("whois.vp".to_string()));
        assert_eq!(
            result.get_http_whois_url()?.to_string().as_str(),
            "https://domain:8000/custom/path/whois.vp"
        );
        Ok(())
    }

    #[test]
    fn url_rejects_path_traversal() {
        assert!(WebVHURL::parse_did_url("did:webvh:scid:example.com:..:admin").is_err());
        assert!(WebVHURL::parse_did_url("did:webvh:scid:example.com:a:..").is_err());
        assert!(WebVHURL::parse_did_url("did:webvh:scid:example.com:.").is_err());
    }

    /// Regression: the traversal check used to compare the *raw* segment
    /// against `..` / `.` / `/`, so `%2E%2E` passed — and then Url::parse
    /// decoded and normalised it (`/%2E%2E/x/` → `/x/`), defeating the
    /// check entirely. The check now percent-decodes first.
    #[test]
    fn url_rejects_pct_encoded_path_traversal() {
        for did in [
            "did:webvh:scid:example.com:%2E%2E:admin",
            "did:webvh:scid:example.com:%2e%2e:admin",
            "did:webvh:scid:example.com:.%2E",
            "did:webvh:scid:example.com:%2E",
            "did:webvh:scid:example.com:a%2Fb",
            "did:webvh:scid:example.com:a%5Cb",
        ] {
            assert!(
                WebVHURL::parse_did_url(did).is_err(),
                "{did} should be rejected"
            );
        }
    }

    #[test]
    fn url_rejects_empty_or_slash_segment() {
        assert!(WebVHURL::parse_did_url("did:webvh:scid:example.com::x").is_err());
        assert!(WebVHURL::parse_did_url("did:webvh:scid:example.com:a/b").is_err());
    }

    #[test]
    fn url_with_default_path() -> Result<(), DIDWebVHError> {
        let result = WebVHURL::parse_did_url("did:webvh:scid:domain%3A8000")?;
        assert_eq!(result.type_, URLType::DIDDoc);
        assert_eq!(result.path, "/.well-known/");
        assert_eq!(result.file_name, Some("did.jsonl".to_string()));
        Ok(())
    }

    #[test]
    fn url_with_custom_path() -> Result<(), DIDWebVHError> {
        let result = WebVHURL::parse_did_url("did:webvh:scid:domain%3A8000:custom:path")?;
        assert_eq!(result.type_, URLType::DIDDoc);
        assert_eq!(result.path, "/custom/path/");
        assert_eq!(result.file_name, Some("did.jsonl".to_string()));
        Ok(())
    }

    #[test]
    fn to_url_from_basic() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_did_url("did:webvh:scid:example.com")?;
        assert_eq!(
            webvh.get_http_url(None)?.to_string().as_str(),
            "https://example.com/.well-known/did.jsonl"
        );
        Ok(())
    }

    #[test]
    fn to_url_from_basic_whois() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_did_url("did:webvh:scid:example.com:whois")?;
        assert_eq!(
            webvh.get_http_url(None)?.to_string().as_str(),
            "https://example.com/whois.vp"
        );
        assert_eq!(
            webvh.get_http_whois_url()?.to_string().as_str(),
            "https://example.com/whois.vp"
        );
        Ok(())
    }

    #[test]
    fn to_url_from_complex() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_did_url(
            "did:webvh:scid:example.com%3A8080:custom:path?versionId=1-xyz#fragment",
        )?;
        assert_eq!(
            webvh.get_http_url(None)?.to_string().as_str(),
            "https://example.com:8080/custom/path/did.jsonl?versionId=1-xyz#fragment"
        );
        Ok(())
    }

    #[test]
    fn to_did_from_url() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("http://localhost:8000/").unwrap())?;
        assert_eq!(webvh.to_string(), "did:webvh:{SCID}:localhost%3A8000");
        Ok(())
    }

    #[test]
    fn to_did_from_url_trailing_slash() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("https://localhost:8000/test/").unwrap())?;
        assert_eq!(webvh.to_string(), "did:webvh:{SCID}:localhost%3A8000:test");
        assert_eq!(
            webvh.get_http_url(None)?.to_string().as_str(),
            "http://localhost:8000/test/did.jsonl"
        );
        Ok(())
    }

    #[test]
    fn to_http_whois_url_default() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("https://localhost/").unwrap())?;

        let result = webvh.get_http_whois_url()?;

        assert_eq!(result.as_str(), "http://localhost/whois.vp");
        Ok(())
    }

    #[test]
    fn to_http_whois_url_path() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("https://localhost/test/path").unwrap())?;

        let result = webvh.get_http_whois_url()?;

        assert_eq!(result.as_str(), "http://localhost/test/path/whois.vp");
        Ok(())
    }

    #[test]
    fn to_http_whois_url_path_trailing_slash() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("https://localhost/test/path/").unwrap())?;

        let result = webvh.get_http_whois_url()?;

        assert_eq!(result.as_str(), "http://localhost/test/path/whois.vp");
        Ok(())
    }

    #[test]
    fn to_http_whois_files_default() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("https://localhost/").unwrap())?;

        let result = webvh.get_http_files_url()?;

        assert_eq!(result.as_str(), "http://localhost/");
        Ok(())
    }

    #[test]
    fn to_http_whois_files_path() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("https://localhost/test/path").unwrap())?;

        let result = webvh.get_http_files_url()?;

        assert_eq!(result.as_str(), "http://localhost/test/path/");
        Ok(())
    }

    #[test]
    fn to_http_whois_files_path_trailing_slash() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_url(&Url::parse("https://localhost/test/path/").unwrap())?;

        let result = webvh.get_http_files_url()?;

        assert_eq!(result.as_str(), "http://localhost/test/path/");
        Ok(())
    }

    #[test]
    fn to_did_base_simple() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_did_url("did:webvh:scid:example.com")?;
        assert_eq!(webvh.to_did_base(), "did:webvh:scid:example.com");
        Ok(())
    }

    #[test]
    fn to_did_base_with_port() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_did_url("did:webvh:scid:example.com%3A8080")?;
        assert_eq!(webvh.to_did_base(), "did:webvh:scid:example.com%3A8080");
        Ok(())
    }

    #[test]
    fn to_did_base_with_path() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_did_url("did:webvh:scid:example.com:custom:path")?;
        assert_eq!(
            webvh.to_did_base(),
            "did:webvh:scid:example.com:custom:path"
        );
        Ok(())
    }

    #[test]
    fn parse_query_version_id_and_version_time_rejects() {
        let result = WebVHURL::parse_did_url(
            "did:webvh:scid:example.com?versionId=1-xyz&versionTime=2024-01-01T00:00:00Z",
        );
        let err = result.expect_err("expected error");
        assert!(
            err.to_string()
                .contains("Only one of versionId, versionTime, or versionNumber")
        );
    }

    #[test]
    fn parse_query_version_id_and_version_number_rejects() {
        let result =
            WebVHURL::parse_did_url("did:webvh:scid:example.com?versionId=1-xyz&versionNumber=5");
        let err = result.expect_err("expected error");
        assert!(
            err.to_string()
                .contains("Only one of versionId, versionTime, or versionNumber")
        );
    }

    #[test]
    fn parse_query_version_time_and_version_number_rejects() {
        let result = WebVHURL::parse_did_url(
            "did:webvh:scid:example.com?versionTime=2024-01-01T00:00:00Z&versionNumber=5",
        );
        let err = result.expect_err("expected error");
        assert!(
            err.to_string()
                .contains("Only one of versionId, versionTime, or versionNumber")
        );
    }

    #[test]
    fn parse_query_all_three_rejects() {
        let result = WebVHURL::parse_did_url(
            "did:webvh:scid:example.com?versionId=1-xyz&versionTime=2024-01-01T00:00:00Z&versionNumber=5",
        );
        let err = result.expect_err("expected error");
        assert!(
            err.to_string()
                .contains("Only one of versionId, versionTime, or versionNumber")
        );
    }

    #[test]
    fn to_did_base_strips_query_and_fragment() -> Result<(), DIDWebVHError> {
        let webvh = WebVHURL::parse_did_url(
            "did:webvh:scid:example.com%3A8080:custom:path?versionId=1-xyz#fragment",
        )?;
        assert_eq!(
            webvh.to_did_base(),
            "did:webvh:scid:example.com%3A8080:custom:path"
        );
        Ok(())
    }

    // --- IP address rejection tests for parse_did_url ---

    #[test]
    fn parse_did_url_rejects_ipv4() {
        let result = WebVHURL::parse_did_url("did:webvh:scid:192.168.1.1");
        let err = result.expect_err("expected error for IPv4 address");
        assert!(err.to_string().contains("IP addresses are not allowed"));
    }

    #[test]
    fn parse_did_url_rejects_ipv4_loopback() {
        let result = WebVHURL::parse_did_url("did:webvh:scid:127.0.0.1");
        let err = result.expect_err("expected error for IPv4 loopback");
        assert!(err.to_string().contains("IP addresses are not allowed"));
    }

    #[test]
    fn parse_did_url_rejects_ipv4_with_port() {
        let result = WebVHURL::parse_did_url("did:webvh:scid:192.168.1.1%3A8080");
        let err = result.expect_err("expected error for IPv4 with port");
        assert!(err.to_string().contains("IP addresses are not allowed"));
    }

    #[test]
    fn parse_did_url_allows_localhost() {
        assert!(WebVHURL::parse_did_url("did:webvh:scid:localhost").is_ok());
    }

    #[test]
    fn parse_did_url_allows_fqdn() {
        assert!(WebVHURL::parse_did_url("did:webvh:scid:example.com").is_ok());
    }

    // --- IP address rejection tests for parse_url ---

    #[test]
    fn parse_url_rejects_ipv4() {
        let url = Url::parse("https://192.168.1.1/").unwrap();
        let result = WebVHURL::parse_url(&url);
        let err = result.expect_err("expected error for IPv4 address");
        assert!(err.to_string().contains("IP addresses are not allowed"));
    }

    #[test]
    fn parse_url_rejects_ipv6() {
        let url = Url::parse("https://[::1]/").unwrap();
        let result = WebVHURL::parse_url(&url);
        let err = result.expect_err("expected error for IPv6 address");
        assert!(err.to_string().contains("IP addresses are not allowed"));
    }

    #[test]
    fn parse_url_allows_localhost() -> Result<(), DIDWebVHError> {
        let url = Url::parse("http://localhost:8000/").unwrap();
        let result = WebVHURL::parse_url(&url)?;
        assert_eq!(result.domain, "localhost");
        Ok(())
    }

    #[test]
    fn parse_url_allows_fqdn() -> Result<(), DIDWebVHError> {
        let url = Url::parse("https://example.com/").unwrap();
        let result = WebVHURL::parse_url(&url)?;
        assert_eq!(result.domain, "example.com");
        Ok(())
    }
}
