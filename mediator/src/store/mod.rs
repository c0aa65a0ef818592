//! Storage: one trait, implemented over SQLite and PostgreSQL by one body of portable SQL.
//!
//! Messages are opaque encrypted envelopes. A message is stored before the forward that carried
//! it is acknowledged, and deleted only when its owner says it was received, so a crash between
//! the two never loses one. The SQL is plain text checked by the tests, not at compile time, so
//! building needs no database.

mod group_commit;
mod postgres;
mod sqlite;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{Error, Result};
pub(crate) use postgres::PostgresStore;
pub(crate) use sqlite::SqliteStore;

/// Called with the owner of newly queued messages, from whichever instance queued them, and the
/// messages themselves (in queue order) when the store can promise that an owner's wake-ups come
/// in queue order (SQLite: one writer). `None` means "read the queue".
pub(crate) type Wake = Arc<dyn Fn(&str, Option<Arc<[StoredMessage]>>) + Send + Sync>;

/// Where a store keeps the [`Wake`] that [`Store::watch`] gives it; shared by its clones and
/// tasks, set once.
#[derive(Clone, Default)]
pub(crate) struct WakeSlot(Arc<std::sync::OnceLock<Wake>>);

impl WakeSlot {
    pub(crate) fn set(&self, wake: Wake) {
        let _ = self.0.set(wake);
    }

    pub(crate) fn get(&self) -> Option<&Wake> {
        self.0.get()
    }
}

impl std::fmt::Debug for WakeSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "WakeSlot(set)" } else { "WakeSlot(empty)" })
    }
}

/// A forwarded message to queue.
#[derive(Clone, Debug)]
pub(crate) struct NewMessage<'a> {
    pub id: &'a str,
    pub owner: &'a str,
    pub recipient: &'a str,
    pub body: &'a str,
    /// The envelope's SHA-256: the same envelope is queued at most once, whoever forwards it.
    pub digest: &'a str,
    /// Where the forward came from (see `routing::source_of`), for the per-source cap.
    pub source: &'a str,
    pub received_at: u64,
    pub expires_at: u64,
}

/// What queueing a forwarded message did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enqueued {
    Stored,
    /// The same envelope was forwarded before.
    Replay,
    /// Its owner already has the cap of messages waiting.
    QueueFull,
    /// Its owner already has the cap of messages (or bytes) from this source waiting.
    SourceFull,
}

/// The caps a forward is queued under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueueCaps {
    /// Messages one owner may have waiting.
    pub owner: u64,
    /// Messages from one source one owner may have waiting.
    pub per_source: u64,
    /// Bytes of messages from one source one owner may have waiting.
    pub per_source_bytes: u64,
}

/// A queued message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredMessage {
    /// Position in the queue: later messages have larger numbers.
    pub seq: u64,
    pub id: String,
    pub recipient: String,
    pub body: String,
    pub received_at: u64,
}

/// What a sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sweep {
    pub expired_messages: u64,
    pub idle_enrollments: u64,
}

/// A did:webvh log as hosted: verified before it was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostedLog {
    pub did: String,
    pub log: String,
    pub witness: Option<String>,
    pub entries: u32,
    /// The client address that created the name (kept for its per-source quota).
    pub source: String,
}

/// What a recipient update did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UpdateResult {
    Success,
    NoChange,
    /// Another party registered that recipient first.
    Taken,
}

/// Everything the mediator keeps.
#[async_trait]
pub(crate) trait Store: Send + Sync + std::fmt::Debug {
    /// Whether the database answers.
    async fn ready(&self) -> Result<()>;
    /// Records that `did` may use this mediator.
    async fn grant(&self, did: &str, now: u64) -> Result<()>;
    async fn is_mediated(&self, did: &str) -> Result<bool>;
    async fn add_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult>;
    async fn remove_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult>;
    async fn recipients(&self, owner: &str) -> Result<Vec<String>>;
    /// The party a recipient DID (or DID URL) was registered by.
    async fn owner_of(&self, recipient: &str) -> Result<Option<String>>;
    /// Queues a forwarded message unless its envelope was queued before or its owner already
    /// has `cap` waiting, then wakes the owner's live sessions (see [`Store::watch`]).
    async fn enqueue_forward(&self, message: &NewMessage<'_>, caps: QueueCaps) -> Result<Enqueued>;
    /// Deletes every message waiting for `owner`; returns how many went.
    async fn purge(&self, owner: &str) -> Result<u64>;
    /// Records that an enrolled party acted at `now`.
    async fn touch(&self, did: &str, now: u64) -> Result<()>;
    /// Makes an enrollment token (by its digest) good for `uses` enrollments until `expires_at`.
    async fn create_token(&self, digest: &str, label: &str, uses: u32, expires_at: u64, now: u64) -> Result<()>;
    /// Whether a token has a use left (without using it).
    async fn token_valid(&self, digest: &str, now: u64) -> Result<bool>;
    /// Uses up one enrollment of a token; `false` if it is unknown, used up or expired.
    async fn redeem_token(&self, digest: &str, now: u64) -> Result<bool>;
    /// How many short links `inviter` holds that have not expired.
    async fn count_invitations(&self, inviter: &str, now: u64) -> Result<u64>;
    /// How many hosted logs were created from `source` since `since`.
    /// Takes one of `source`'s `limit` new ledger names of `day` (days since 1970), in one
    /// statement; `false` when they are all taken.
    async fn reserve_ledger_name(&self, source: &str, day: u64, limit: u32) -> Result<bool>;
    /// Gives back a name reserved for a publication that did not happen.
    async fn release_ledger_name(&self, source: &str, day: u64) -> Result<()>;
    /// How many messages wait for `owner` (for one recipient, if given).
    async fn count(&self, owner: &str, recipient: Option<&str>) -> Result<u64>;
    /// The oldest `limit` messages of `owner` (for one recipient, if given) after position `after`.
    async fn fetch(&self, owner: &str, recipient: Option<&str>, after: u64, limit: u32) -> Result<Vec<StoredMessage>>;
    /// The queue position of `owner`'s newest message (0 when the queue is empty): where live
    /// delivery starts, leaving what is already queued to `delivery-request`.
    async fn last_seq(&self, owner: &str) -> Result<u64>;
    /// Deletes acknowledged messages; ids of other owners are ignored. Returns how many went.
    async fn delete(&self, owner: &str, ids: &[String]) -> Result<u64>;
    /// Records a message id from a sender; `false` if it was seen before (a replay).
    async fn remember(&self, sender: &str, id: &str, now: u64) -> Result<bool>;
    /// Publishes a signed invitation under its content hash; publishing it again changes nothing.
    async fn put_invitation(&self, id: &str, body: &str, inviter: &str, expires_at: u64) -> Result<()>;
    /// Stores a shared program bundle under its digest and owner; the same owner sharing it again
    /// changes nothing, another owner's share is kept beside it for its own lifetime.
    async fn put_bundle(&self, digest: &str, owner: &str, body: &str, bytes: u64, expires_at: u64) -> Result<()>;
    /// A shared bundle that has not expired.
    async fn bundle(&self, digest: &str, now: u64) -> Result<Option<String>>;
    /// How many unexpired bundles `owner` shares here, and their bytes together.
    async fn bundle_usage(&self, owner: &str, now: u64) -> Result<(u64, u64)>;
    /// A published invitation that has not expired.
    async fn invitation(&self, id: &str, now: u64) -> Result<Option<String>>;
    /// Lets the key `endpoint_id` (hex) use the relay, for `did`.
    async fn add_relay_key(&self, endpoint_id: &str, did: &str) -> Result<()>;
    /// The DID a relay key was registered for.
    async fn relay_key_owner(&self, endpoint_id: &str) -> Result<Option<String>>;
    /// Records that the relay key's connection is on the relay at `relay_url` now.
    async fn set_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()>;
    /// Forgets the relay key's connection, if it is still recorded at `relay_url`.
    async fn clear_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()>;
    /// The relay the key's connection was last recorded on, if any.
    async fn relay_home(&self, endpoint_id: &str) -> Result<Option<String>>;
    /// The DID and entry count of a hosted log, without the log.
    async fn ledger_length(&self, name: &str) -> Result<Option<(String, u32)>>;
    /// A hosted did:webvh log by name.
    async fn ledger_log(&self, name: &str) -> Result<Option<HostedLog>>;
    /// Stores a log under `name`: as a new name when `extends` is `None` (`false` if the name
    /// was taken meanwhile), else replacing the log of `extends` entries (`false` if it changed
    /// meanwhile).
    async fn put_ledger_log(&self, name: &str, log: &HostedLog, extends: Option<u32>, now: u64) -> Result<bool>;
    /// Drops expired messages, invitations and tokens, replay records older than
    /// `seen_before`, and enrollments not used since `idle_before` (with their queues,
    /// recipients and relay keys).
    async fn sweep(&self, now: u64, seen_before: u64, idle_before: u64) -> Result<Sweep>;
    /// Calls `wake` for every message queued from now on, by this instance or by others sharing
    /// the database.
    async fn watch(&self, wake: Wake) -> Result<()>;
}

/// Opens the store a database URL names, running its migrations.
pub(crate) async fn open(database_url: &str) -> Result<Box<dyn Store>> {
    if database_url.starts_with("sqlite:") {
        Ok(Box::new(SqliteStore::open(database_url).await?))
    } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
        Ok(Box::new(PostgresStore::open(database_url).await?))
    } else {
        Err(Error::Startup(format!("unsupported database URL `{database_url}` (use sqlite://FILE or postgres://...)")))
    }
}

/// The default database of a data directory.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("mediator.sqlite3").display())
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `impl Store for $store` with the methods both databases share (the type has a `pool` field),
/// plus the methods given in braces (`enqueue_forward` and `watch`, where they differ). The SQL is
/// the subset both speak: `$n` parameters, `ON CONFLICT`, `CAST`.
macro_rules! impl_store {
    ($store:ty, { $($extra:tt)* }) => {
        #[async_trait::async_trait]
        impl crate::store::Store for $store {
        $($extra)*

        async fn ready(&self) -> Result<()> {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        }

        async fn grant(&self, did: &str, now: u64) -> Result<()> {
            sqlx::query(
                "INSERT INTO mediated (did, granted_at, last_seen) VALUES ($1, $2, $2) \
                 ON CONFLICT (did) DO UPDATE SET last_seen = excluded.last_seen",
            )
                .bind(did)
                .bind(crate::store::to_i64(now))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn is_mediated(&self, did: &str) -> Result<bool> {
            let row = sqlx::query("SELECT 1 FROM mediated WHERE did = $1").bind(did).fetch_optional(&self.pool).await?;
            Ok(row.is_some())
        }

        async fn add_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult> {
            let inserted =
                sqlx::query("INSERT INTO recipients (recipient, owner) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(recipient)
                    .bind(owner)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
            if inserted == 1 {
                return Ok(UpdateResult::Success);
            }
            Ok(match self.owner_of(recipient).await?.as_deref() {
                Some(current) if current == owner => UpdateResult::NoChange,
                _ => UpdateResult::Taken,
            })
        }

        async fn remove_recipient(&self, owner: &str, recipient: &str) -> Result<UpdateResult> {
            let removed = sqlx::query("DELETE FROM recipients WHERE recipient = $1 AND owner = $2")
                .bind(recipient)
                .bind(owner)
                .execute(&self.pool)
                .await?
                .rows_affected();
            Ok(if removed == 1 { UpdateResult::Success } else { UpdateResult::NoChange })
        }

        async fn recipients(&self, owner: &str) -> Result<Vec<String>> {
            Ok(sqlx::query_scalar("SELECT recipient FROM recipients WHERE owner = $1 ORDER BY recipient")
                .bind(owner)
                .fetch_all(&self.pool)
                .await?)
        }

        async fn owner_of(&self, recipient: &str) -> Result<Option<String>> {
            Ok(sqlx::query_scalar("SELECT owner FROM recipients WHERE recipient = $1")
                .bind(recipient)
                .fetch_optional(&self.pool)
                .await?)
        }

        async fn count(&self, owner: &str, recipient: Option<&str>) -> Result<u64> {
            // The whole queue's size is kept (`queue_counts`): one lookup however deep the queue,
            // as every acknowledgement's status reply asks for it. One recipient's share is counted.
            if recipient.is_none() {
                let count: i64 =
                    sqlx::query_scalar("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM queue_counts WHERE owner = $1")
                        .bind(owner)
                        .fetch_one(&self.pool)
                        .await?;
                return Ok(u64::try_from(count).unwrap_or(0));
            }
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM messages WHERE owner = $1 AND (CAST($2 AS TEXT) IS NULL OR recipient = $2)",
            )
            .bind(owner)
            .bind(recipient)
            .fetch_one(&self.pool)
            .await?;
            Ok(u64::try_from(count).unwrap_or(0))
        }

        async fn fetch(&self, owner: &str, recipient: Option<&str>, after: u64, limit: u32) -> Result<Vec<StoredMessage>> {
            let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
                "SELECT seq, id, recipient, body, received_at FROM messages \
                 WHERE owner = $1 AND (CAST($2 AS TEXT) IS NULL OR recipient = $2) AND seq > $3 ORDER BY seq LIMIT $4",
            )
            .bind(owner)
            .bind(recipient)
            .bind(crate::store::to_i64(after))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(seq, id, recipient, body, received_at)| StoredMessage {
                    seq: u64::try_from(seq).unwrap_or(0),
                    id,
                    recipient,
                    body,
                    received_at: u64::try_from(received_at).unwrap_or(0),
                })
                .collect())
        }

        async fn put_bundle(&self, digest: &str, owner: &str, body: &str, bytes: u64, expires_at: u64) -> Result<()> {
            sqlx::query(
                "INSERT INTO program_bundles (digest, owner, body, bytes, expires_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (digest, owner) DO NOTHING",
            )
            .bind(digest)
            .bind(owner)
            .bind(body)
            .bind(crate::store::to_i64(bytes))
            .bind(crate::store::to_i64(expires_at))
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn bundle(&self, digest: &str, now: u64) -> Result<Option<String>> {
            // Every row of a digest holds the same files: the longest-lived one serves.
            Ok(sqlx::query_scalar(
                "SELECT body FROM program_bundles WHERE digest = $1 AND expires_at > $2 \
                 ORDER BY expires_at DESC LIMIT 1",
            )
                .bind(digest)
                .bind(crate::store::to_i64(now))
                .fetch_optional(&self.pool)
                .await?)
        }

        async fn bundle_usage(&self, owner: &str, now: u64) -> Result<(u64, u64)> {
            let (count, bytes): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), CAST(SUM(bytes) AS BIGINT) FROM program_bundles WHERE owner = $1 AND expires_at > $2",
            )
            .bind(owner)
            .bind(crate::store::to_i64(now))
            .fetch_one(&self.pool)
            .await?;
            Ok((u64::try_from(count).unwrap_or(0), bytes.and_then(|b| u64::try_from(b).ok()).unwrap_or(0)))
        }

        async fn last_seq(&self, owner: &str) -> Result<u64> {
            let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM messages WHERE owner = $1")
                .bind(owner)
                .fetch_one(&self.pool)
                .await?;
            Ok(last.and_then(|seq| u64::try_from(seq).ok()).unwrap_or(0))
        }

        async fn delete(&self, owner: &str, ids: &[String]) -> Result<u64> {
            // One statement per chunk of ids, not one per id: acknowledgements come in batches.
            let mut deleted = 0;
            for chunk in ids.chunks(500) {
                let mut query = sqlx::QueryBuilder::new("DELETE FROM messages WHERE owner = ");
                query.push_bind(owner).push(" AND id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(id);
                }
                query.push(")");
                deleted += query.build().execute(&self.pool).await?.rows_affected();
            }
            Ok(deleted)
        }

        async fn purge(&self, owner: &str) -> Result<u64> {
            Ok(sqlx::query("DELETE FROM messages WHERE owner = $1").bind(owner).execute(&self.pool).await?.rows_affected())
        }

        async fn touch(&self, did: &str, now: u64) -> Result<()> {
            sqlx::query("UPDATE mediated SET last_seen = $1 WHERE did = $2")
                .bind(crate::store::to_i64(now))
                .bind(did)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn create_token(&self, digest: &str, label: &str, uses: u32, expires_at: u64, now: u64) -> Result<()> {
            sqlx::query(
                "INSERT INTO enrollment_tokens (digest, label, uses_left, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(digest)
            .bind(label)
            .bind(i64::from(uses))
            .bind(crate::store::to_i64(expires_at))
            .bind(crate::store::to_i64(now))
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn token_valid(&self, digest: &str, now: u64) -> Result<bool> {
            let row = sqlx::query("SELECT 1 FROM enrollment_tokens WHERE digest = $1 AND uses_left > 0 AND expires_at > $2")
                .bind(digest)
                .bind(crate::store::to_i64(now))
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.is_some())
        }

        async fn redeem_token(&self, digest: &str, now: u64) -> Result<bool> {
            // One statement: two enrollments racing for the last use cannot both get it.
            let used = sqlx::query(
                "UPDATE enrollment_tokens SET uses_left = uses_left - 1 \
                 WHERE digest = $1 AND uses_left > 0 AND expires_at > $2",
            )
            .bind(digest)
            .bind(crate::store::to_i64(now))
            .execute(&self.pool)
            .await?
            .rows_affected();
            Ok(used == 1)
        }

        async fn count_invitations(&self, inviter: &str, now: u64) -> Result<u64> {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invitations WHERE inviter = $1 AND expires_at > $2")
                .bind(inviter)
                .bind(crate::store::to_i64(now))
                .fetch_one(&self.pool)
                .await?;
            Ok(u64::try_from(count).unwrap_or(0))
        }

        async fn reserve_ledger_name(&self, source: &str, day: u64, limit: u32) -> Result<bool> {
            // The upsert's WHERE leaves a full row as it is, and then RETURNING returns nothing.
            let taken: Option<i64> = sqlx::query_scalar(
                "INSERT INTO ledger_name_quota (source, day, n) VALUES ($1, $2, 1) \
                 ON CONFLICT (source, day) DO UPDATE SET n = ledger_name_quota.n + 1 \
                 WHERE ledger_name_quota.n < $3 RETURNING n",
            )
            .bind(source)
            .bind(crate::store::to_i64(day))
            .bind(i64::from(limit))
            .fetch_optional(&self.pool)
            .await?;
            Ok(taken.is_some_and(|n| n <= i64::from(limit)))
        }

        async fn release_ledger_name(&self, source: &str, day: u64) -> Result<()> {
            sqlx::query("UPDATE ledger_name_quota SET n = n - 1 WHERE source = $1 AND day = $2 AND n > 0")
                .bind(source)
                .bind(crate::store::to_i64(day))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn remember(&self, sender: &str, id: &str, now: u64) -> Result<bool> {
            let inserted =
                sqlx::query("INSERT INTO seen_messages (sender, id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(sender)
                    .bind(id)
                    .bind(crate::store::to_i64(now))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
            Ok(inserted == 1)
        }

        async fn put_invitation(&self, id: &str, body: &str, inviter: &str, expires_at: u64) -> Result<()> {
            sqlx::query(
                "INSERT INTO invitations (id, body, inviter, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(body)
            .bind(inviter)
            .bind(crate::store::to_i64(expires_at))
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn invitation(&self, id: &str, now: u64) -> Result<Option<String>> {
            Ok(sqlx::query_scalar("SELECT body FROM invitations WHERE id = $1 AND expires_at > $2")
                .bind(id)
                .bind(crate::store::to_i64(now))
                .fetch_optional(&self.pool)
                .await?)
        }

        async fn add_relay_key(&self, endpoint_id: &str, did: &str) -> Result<()> {
            sqlx::query(
                "INSERT INTO relay_keys (endpoint_id, did) VALUES ($1, $2) \
                 ON CONFLICT (endpoint_id) DO UPDATE SET did = excluded.did",
            )
            .bind(endpoint_id)
            .bind(did)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn relay_key_owner(&self, endpoint_id: &str) -> Result<Option<String>> {
            Ok(sqlx::query_scalar("SELECT did FROM relay_keys WHERE endpoint_id = $1")
                .bind(endpoint_id)
                .fetch_optional(&self.pool)
                .await?)
        }

        async fn set_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()> {
            sqlx::query("UPDATE relay_keys SET relay_url = $2 WHERE endpoint_id = $1")
                .bind(endpoint_id)
                .bind(relay_url)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn clear_relay_home(&self, endpoint_id: &str, relay_url: &str) -> Result<()> {
            sqlx::query("UPDATE relay_keys SET relay_url = NULL WHERE endpoint_id = $1 AND relay_url = $2")
                .bind(endpoint_id)
                .bind(relay_url)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn relay_home(&self, endpoint_id: &str) -> Result<Option<String>> {
            let home: Option<Option<String>> = sqlx::query_scalar("SELECT relay_url FROM relay_keys WHERE endpoint_id = $1")
                .bind(endpoint_id)
                .fetch_optional(&self.pool)
                .await?;
            Ok(home.flatten())
        }

        async fn ledger_length(&self, name: &str) -> Result<Option<(String, u32)>> {
            let row: Option<(String, i64)> = sqlx::query_as("SELECT did, entries FROM ledger_logs WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(did, entries)| (did, u32::try_from(entries).unwrap_or(0))))
        }

        async fn ledger_log(&self, name: &str) -> Result<Option<crate::store::HostedLog>> {
            let row: Option<(String, String, Option<String>, i64, String)> =
                sqlx::query_as("SELECT did, log, witness, entries, source FROM ledger_logs WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(row.map(|(did, log, witness, entries, source)| crate::store::HostedLog {
                did,
                log,
                witness,
                entries: u32::try_from(entries).unwrap_or(0),
                source,
            }))
        }

        async fn put_ledger_log(
            &self,
            name: &str,
            log: &crate::store::HostedLog,
            extends: Option<u32>,
            now: u64,
        ) -> Result<bool> {
            let done = match extends {
                None => sqlx::query(
                    "INSERT INTO ledger_logs (name, did, log, witness, entries, updated_at, source, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $6) ON CONFLICT DO NOTHING",
                )
                .bind(name)
                .bind(&log.did)
                .bind(&log.log)
                .bind(&log.witness)
                .bind(i64::from(log.entries))
                .bind(crate::store::to_i64(now))
                .bind(&log.source)
                .execute(&self.pool)
                .await?
                .rows_affected(),
                Some(previous) => sqlx::query(
                    "UPDATE ledger_logs SET log = $1, witness = $2, entries = $3, updated_at = $4 \
                     WHERE name = $5 AND did = $6 AND entries = $7",
                )
                .bind(&log.log)
                .bind(&log.witness)
                .bind(i64::from(log.entries))
                .bind(crate::store::to_i64(now))
                .bind(name)
                .bind(&log.did)
                .bind(i64::from(previous))
                .execute(&self.pool)
                .await?
                .rows_affected(),
            };
            Ok(done == 1)
        }

        async fn sweep(&self, now: u64, seen_before: u64, idle_before: u64) -> Result<crate::store::Sweep> {
            sqlx::query("DELETE FROM invitations WHERE expires_at <= $1")
                .bind(crate::store::to_i64(now))
                .execute(&self.pool)
                .await?;
            sqlx::query("DELETE FROM program_bundles WHERE expires_at <= $1")
                .bind(crate::store::to_i64(now))
                .execute(&self.pool)
                .await?;
            sqlx::query("DELETE FROM enrollment_tokens WHERE expires_at <= $1")
                .bind(crate::store::to_i64(now))
                .execute(&self.pool)
                .await?;
            // Yesterday's reservations still count (the limit is per day of the sweep's clock).
            sqlx::query("DELETE FROM ledger_name_quota WHERE day < $1")
                .bind(crate::store::to_i64(now / 86_400).saturating_sub(1))
                .execute(&self.pool)
                .await?;
            // Recipients go with their enrollment (ON DELETE CASCADE); queues and relay keys
            // are keyed by DID without a foreign key, so they are deleted here.
            let idle_enrollments = sqlx::query("DELETE FROM mediated WHERE last_seen < $1")
                .bind(crate::store::to_i64(idle_before))
                .execute(&self.pool)
                .await?
                .rows_affected();
            if idle_enrollments > 0 {
                sqlx::query("DELETE FROM messages WHERE owner NOT IN (SELECT did FROM mediated)").execute(&self.pool).await?;
                sqlx::query("DELETE FROM relay_keys WHERE did NOT IN (SELECT did FROM mediated)").execute(&self.pool).await?;
            }
            let expired = sqlx::query("DELETE FROM messages WHERE expires_at <= $1")
                .bind(crate::store::to_i64(now))
                .execute(&self.pool)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM seen_messages WHERE seen_at < $1")
                .bind(crate::store::to_i64(seen_before))
                .execute(&self.pool)
                .await?;
            Ok(crate::store::Sweep { expired_messages: expired, idle_enrollments })
        }
        }
    };
}
pub(crate) use impl_store;
