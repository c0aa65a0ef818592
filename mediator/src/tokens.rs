//! Enrollment tokens for a closed mediator, in the spirit of headscale's pre-auth keys: the
//! operator makes one (`mpc-id mediator token create`), hands it to a party out of band, and the
//! party presents it in its `mediate-request`. Only the token's SHA-256 is stored, so a copy of
//! the database enrolls no one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::MediatorConfig;
use crate::error::{Error, Result};

/// Prefix that makes a token recognisable in a chat or a log scanner.
const PREFIX: &str = "mpcid_";

/// The digest a token is stored and looked up by.
pub(crate) fn digest(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.trim().as_bytes()))
}

/// A token just made, and until when it is good.
#[derive(Debug)]
pub struct NewToken {
    /// The secret to hand to the party; shown once, never stored.
    pub token: String,
    /// What the operator called it (who it is for).
    pub label: String,
    /// How many enrollments it allows.
    pub uses: u32,
    /// When it expires (Unix seconds).
    pub expires_at: u64,
}

/// Makes an enrollment token good for `uses` enrollments during `valid_for`, in the database of
/// the mediator `config` describes (running or not).
pub async fn create(
    config: &MediatorConfig,
    label: &str,
    uses: u32,
    valid_for: std::time::Duration,
) -> Result<NewToken> {
    let store = crate::store::open(&config.database_url()?).await?;
    {
        if uses == 0 {
            return Err(Error::Startup("a token must allow at least one enrollment (--uses 1 or more)".into()));
        }
        let mut secret = [0u8; 24];
        getrandom::fill(&mut secret).map_err(|e| Error::Startup(format!("no randomness: {e}")))?;
        let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
        let now = mpc_identity::unix_now();
        let expires_at = now.saturating_add(valid_for.as_secs());
        store.create_token(&digest(&token), label, uses, expires_at, now).await?;
        Ok(NewToken { token, label: label.to_owned(), uses, expires_at })
    }
}
