//! Live delivery within one process: a queued message wakes the WebSocket sessions of its owner.
//! A wake-up carries the messages when the store promises queue order (SQLite), so the session
//! pushes it without reading the queue; otherwise, or when a session fell behind, the session
//! reads the queue. The queue stays the only source of truth, so a missed wake-up delays a
//! message but never loses it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::store::StoredMessage;

/// What a session is woken with: messages queued in order, or `None`: read the queue.
pub(crate) type Arrival = Option<Arc<[StoredMessage]>>;

/// Wake-ups a session may fall behind by before it reads the queue instead. Each live owner's
/// channel holds this many slots, so it stays small: with at most 192 KiB of messages a wake-up (a
/// full batch of 1 KiB messages), a session that stops reading holds 3 MiB at most.
const CAPACITY: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct LiveHub {
    channels: Mutex<HashMap<String, broadcast::Sender<Arrival>>>,
}

impl LiveHub {
    /// A wake-up receiver for `owner`'s queue, unless `owner` already has `max` live sessions
    /// in this process (0: no cap): each one holds a socket and a channel slot per wake-up.
    pub(crate) fn subscribe(&self, owner: &str, max: usize) -> Option<broadcast::Receiver<Arrival>> {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let sender = channels.entry(owner.to_owned()).or_insert_with(|| broadcast::channel(CAPACITY).0);
        (max == 0 || sender.receiver_count() < max).then(|| sender.subscribe())
    }

    /// Wakes `owner`'s live sessions, if any, to read the queue.
    pub(crate) fn notify(&self, owner: &str) {
        self.arrived(owner, None);
    }

    /// Wakes `owner`'s live sessions, if any, with what arrived.
    pub(crate) fn arrived(&self, owner: &str, arrival: Arrival) {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = channels.get(owner)
            && sender.send(arrival).is_err()
        {
            // Nobody listens any more.
            channels.remove(owner);
        }
    }
}
