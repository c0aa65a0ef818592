//! The party side of joining a session, as one object the CLI (or any other front end) drives:
//!
//! 1. [`Joining::preview`]: the invitation (a short link, a full invitation URL or its JSON) is
//!    fetched and verified against its host's DID; nothing is sent.
//! 2. [`Joining::prepare`]: the role is chosen, the credentials the session requires are picked
//!    from those the party holds and bound to this session, and a program the host shares is
//!    fetched and checked against the offer's digest. Still nothing is saved or sent: the front
//!    end shows all of it and asks.
//! 3. [`Joining::join`]: only now a shared program is written, into the party's own directory
//!    (never one the host names), and the signed join request goes to the host.
//!
//! Nothing the host sends chooses a path here or runs anything: the program runs only when the
//! party runs the session, after the manifest is verified.

use std::path::{Path, PathBuf};

use mpc_client::resolver::Resolver;
use mpc_identity::bundle::CheckedBundle;
use mpc_identity::keystore::UnlockedIdentity;
use serde_json::Value;

use crate::lobby::{self, Offered};
use crate::store::{SessionRecord, SessionStore};
use crate::{Error, Result};

/// What the party decides when it joins.
#[derive(Clone, Debug, Default)]
pub struct JoinOptions {
    /// The role to take, in a session of roles.
    pub role: Option<String>,
    /// The party's own copy of the program, checked against the offer's hash; `None` takes
    /// the program the host shares, if it shares one.
    pub program: Option<PathBuf>,
    /// Where a shared program is saved: a new directory; `None` for
    /// `<home>/programs/<session id>/`.
    pub program_dir: Option<PathBuf>,
    /// The credentials the party holds; those the session requires are presented.
    pub credentials: Vec<Value>,
    /// The label the other parties see.
    pub label: Option<String>,
}

/// A program the host shares, fetched and checked; saved only when the party joins.
#[derive(Clone, Debug)]
pub struct SharedProgram {
    /// Its files, each path checked to stay inside the program's directory.
    pub bundle: CheckedBundle,
    /// Where joining saves it: the party's choice or mpc-id's own place.
    pub dir: PathBuf,
}

/// A session invitation the party is deciding on.
#[derive(Debug)]
pub struct Joining {
    offered: Offered,
    options: JoinOptions,
    presentation: Option<Value>,
    shared: Option<SharedProgram>,
}

impl Joining {
    /// Fetches (for a short link) and verifies the session `invitation`; sends nothing.
    pub async fn preview(me: &UnlockedIdentity, resolver: &Resolver, invitation: &str) -> Result<Joining> {
        Self::preview_at(me, resolver, invitation, mpc_identity::unix_now()).await
    }

    /// [`Joining::preview`] as of unix time `now`: the invitation's lifetime is checked against
    /// it (the system clock's, for `preview`).
    pub async fn preview_at(me: &UnlockedIdentity, resolver: &Resolver, invitation: &str, now: u64) -> Result<Joining> {
        let offered = lobby::preview(me, resolver, invitation, now).await?;
        Ok(Joining { offered, options: JoinOptions::default(), presentation: None, shared: None })
    }

    /// The verified offer: what the party is asked to agree to.
    pub fn offered(&self) -> &Offered {
        &self.offered
    }

    /// Takes the party's decisions: refuses a session of roles without one (or with one it does
    /// not offer), makes the presentation the session requires (naming a credential the party
    /// lacks), and fetches and checks the program the host shares when the party names none.
    /// `home` is the keystore's directory, where shared programs go by default.
    pub async fn prepare(
        &mut self,
        me: &UnlockedIdentity,
        resolver: &Resolver,
        home: &Path,
        options: JoinOptions,
    ) -> Result<()> {
        let offer = &self.offered.offer;
        if let Some(reason) = lobby::role_refusal(offer, options.role.as_deref()) {
            return Err(Error::Command(reason));
        }
        self.presentation =
            crate::proofs::presentation_for(me, resolver, offer, &self.offered.host, &options.credentials).await?;
        // A session of roles shares a bundle per role: the one of the role taken.
        let (url, digest) = match options.role.as_deref().and_then(|role| offer.role(role)) {
            Some(role) => (role.program_url.as_ref(), Some(&role.program_sha256)),
            None => (offer.program_url.as_ref(), offer.program_sha256.as_ref()),
        };
        self.shared = match (&options.program, url, digest) {
            (None, Some(url), Some(digest)) => {
                let bundle = mpc_client::mediator::fetch_bundle(url, digest).await?;
                let dir = match &options.program_dir {
                    Some(dir) => dir.clone(),
                    None => crate::bundle::default_dir(home, &offer.session)?,
                };
                Some(SharedProgram { bundle, dir })
            }
            _ => None,
        };
        self.options = options;
        Ok(())
    }

    /// The program the host shares, as fetched by [`Joining::prepare`], if it is the one used.
    pub fn shared_program(&self) -> Option<&SharedProgram> {
        self.shared.as_ref()
    }

    /// Joins: writes a shared program into its directory (a new one), sends the signed join
    /// request to the host, and stores the session.
    pub async fn join(self, me: &UnlockedIdentity, store: &SessionStore) -> Result<SessionRecord> {
        let Joining { offered, options, presentation, shared } = self;
        let program = match shared {
            Some(SharedProgram { bundle, dir }) => {
                if options.program_dir.is_none()
                    && let Some(parent) = dir.parent()
                {
                    std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
                }
                crate::bundle::write(&bundle, &dir)?;
                Some(dir)
            }
            None => options.program,
        };
        lobby::accept(me, store, offered, program, options.label, options.role, presentation).await
    }
}

/// Joins the session an invitation (URL, short URL or JSON) offers with the party's own copy of
/// its program (or the one the host shares, when `program` is `None`): verifies it, checks the
/// program, sends the signed join request, and stores the session. [`Joining`]
/// does the same in steps, for a front end that shows the offer and asks first.
pub async fn join(
    me: &UnlockedIdentity,
    store: &SessionStore,
    resolver: &Resolver,
    home: &std::path::Path,
    invitation: &str,
    options: JoinOptions,
) -> Result<SessionRecord> {
    let mut joining = Joining::preview(me, resolver, invitation).await?;
    joining.prepare(me, resolver, home, options).await?;
    joining.join(me, store).await
}
