//! Live delivery within one process: a forward wakes the WebSocket sessions of the message's
//! owner, which then read the queue. The queue stays the only source of truth, so a missed wake-up
//! delays a message but never loses it.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;

#[derive(Debug, Default)]
pub struct LiveHub {
    channels: Mutex<HashMap<String, broadcast::Sender<()>>>,
}

impl LiveHub {
    /// A wake-up receiver for `owner`'s queue.
    pub fn subscribe(&self, owner: &str) -> broadcast::Receiver<()> {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        channels.entry(owner.to_owned()).or_insert_with(|| broadcast::channel(16).0).subscribe()
    }

    /// Wakes `owner`'s live sessions, if any.
    pub fn notify(&self, owner: &str) {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = channels.get(owner)
            && sender.send(()).is_err()
        {
            // Nobody listens any more.
            channels.remove(owner);
        }
    }
}
