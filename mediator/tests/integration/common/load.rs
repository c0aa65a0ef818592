//! Load for fault tests: senders forwarding to one recipient and recording what the mediator
//! acknowledged (HTTP 202), and draining the recipient's queue to compare.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{PICKUP, Party};

/// Senders at work.
pub struct Load {
    stop: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// `senders` parties forward to `recipient` as fast as they can. A refused or failed send
    /// ends a sender when `stop_at_first_failure` (a killed mediator), else it pauses and retries
    /// (a database restarting, a full disk).
    pub async fn start(base: &str, recipient: Arc<Party>, senders: usize, stop_at_first_failure: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for n in 0..senders {
            let (stop, acknowledged, refused) = (Arc::clone(&stop), Arc::clone(&acknowledged), Arc::clone(&refused));
            let (recipient, base) = (Arc::clone(&recipient), base.to_owned());
            let sender = Party::at(&format!("sender{n}"), &base).await;
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (message, inner) = sender.seal_for(&recipient, json!({ "n": n }));
                    let forward = sender.forward(recipient.did(), &inner);
                    let sent = sender
                        .http
                        .post(format!("{base}/didcomm"))
                        .body(forward)
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 202 => {
                            acknowledged.lock().expect("lock").push(message["id"].as_str().expect("id").to_owned());
                        }
                        // Refused or cut off: not acknowledged, so no promise was made.
                        _ if stop_at_first_failure => return,
                        _ => {
                            refused.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }));
        }
        Load { stop, acknowledged, refused, tasks }
    }

    /// Waits until `count` forwards were acknowledged in all (30 s at most).
    pub async fn until_acknowledged(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.acknowledged() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn acknowledged(&self) -> usize {
        self.acknowledged.lock().expect("lock").len()
    }

    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    /// Stops the senders; returns the ids of every acknowledged forward.
    pub async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        self.acknowledged.lock().expect("lock").clone()
    }
}

/// Picks up and acknowledges everything queued for `party`; returns the inner message ids.
pub async fn drain(party: &Party) -> Vec<String> {
    let mut delivered = Vec::new();
    loop {
        let batch = party.ask(&format!("{PICKUP}delivery-request"), json!({"limit": 100})).await;
        let Some(attachments) = batch.message.as_ref().and_then(|m| m["attachments"].as_array()).cloned() else {
            break;
        };
        let mut ids = Vec::new();
        for attachment in &attachments {
            delivered.push(party.open_attachment(attachment).0["id"].as_str().expect("id").to_owned());
            ids.push(attachment["id"].clone());
        }
        party.ask(&format!("{PICKUP}messages-received"), json!({"message_id_list": ids})).await;
    }
    delivered
}

/// Every acknowledged forward was delivered, and none twice.
pub fn assert_delivered_once(acknowledged: &[String], delivered: &[String]) {
    let unique: HashSet<&String> = delivered.iter().collect();
    assert_eq!(unique.len(), delivered.len(), "a message was delivered twice after acknowledgement");
    let missing: Vec<&String> = acknowledged.iter().filter(|id| !unique.contains(id)).collect();
    assert!(missing.is_empty(), "{} acknowledged forwards lost: {missing:?}", missing.len());
}
