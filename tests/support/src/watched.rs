//! A child process whose output is read as it comes, so a test can wait for what the process
//! says instead of sleeping: "connected", "watching", "under way" are conditions, a fixed wait
//! is a guess that is either too long or, on a loaded machine, too short.

use std::io::Read;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running child with its stdout and stderr captured as they are written (each pipe that was
/// set to `Stdio::piped()`; the others stay empty).
#[derive(Debug)]
pub struct Watched {
    child: Child,
    stdout: Captured,
    stderr: Captured,
}

#[derive(Debug)]
struct Captured {
    text: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Captured {
    fn read(pipe: Option<impl Read + Send + 'static>) -> Self {
        let text = Arc::new(Mutex::new(String::new()));
        let reader = pipe.map(|mut pipe| {
            let text = Arc::clone(&text);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                // Bytes are kept whole per read; a character split between reads is rare and
                // shows as a replacement character, which no test looks for.
                while let Ok(n) = pipe.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    text.lock().expect("lock").push_str(&String::from_utf8_lossy(&buffer[..n]));
                }
            })
        });
        Captured { text, reader }
    }

    fn now(&self) -> String {
        self.text.lock().expect("lock").clone()
    }

    fn finish(mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.now()
    }
}

/// How a watched process ended: its exit code (`None` when killed by a signal), its output, and
/// when it was seen to end.
#[derive(Debug)]
pub struct Ended {
    /// The exit code.
    pub code: Option<i32>,
    /// All it wrote to stdout.
    pub stdout: String,
    /// All it wrote to stderr.
    pub stderr: String,
    /// When it was seen to have ended.
    pub at: Instant,
}

impl From<Child> for Watched {
    fn from(mut child: Child) -> Self {
        let stdout = Captured::read(child.stdout.take());
        let stderr = Captured::read(child.stderr.take());
        Watched { child, stdout, stderr }
    }
}

impl Watched {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What it wrote to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.now()
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.now()
    }

    /// Waits until stdout or stderr contains `needle`.
    ///
    /// # Panics
    /// When it does not before `deadline`, or the process ends without saying it; the panic
    /// shows what it said.
    pub fn wait_for(&mut self, needle: &str, deadline: Instant) {
        loop {
            if self.stdout().contains(needle) || self.stderr().contains(needle) {
                return;
            }
            let ended = self.child.try_wait().expect("wait").is_some();
            // Once it has ended its pipes close: one last look after the readers are done.
            if ended {
                std::thread::sleep(Duration::from_millis(50));
                assert!(
                    self.stdout().contains(needle) || self.stderr().contains(needle),
                    "it ended without saying {needle:?}:\n{}\n{}",
                    self.stdout(),
                    self.stderr()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} did not appear in time:\nstdout: {}\nstderr: {}",
                self.stdout(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for it to end, at most `patience`; past that it is killed and `None` is returned
    /// with what it said.
    pub fn wait(mut self, patience: Duration) -> (Option<Ended>, String) {
        let deadline = Instant::now() + patience;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let at = Instant::now();
        let (stdout, stderr) = (self.stdout.finish(), self.stderr.finish());
        match status {
            Some(status) => (Some(Ended { code: status.code(), stdout, stderr: stderr.clone(), at }), stderr),
            None => (None, stderr),
        }
    }

    /// SIGKILL now, then what it said.
    pub fn kill(mut self) -> Ended {
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait");
        let at = Instant::now();
        Ended { code: status.code(), stdout: self.stdout.finish(), stderr: self.stderr.finish(), at }
    }

    /// The child itself, for what this does not cover (signals to its group, its stdin). Its
    /// captured pipes are no longer available through it.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

/// Waits for every process (each in a thread of its own, so all end in parallel), at most
/// `patience` each.
///
/// # Panics
/// When one is still running after `patience` (all are killed first).
pub fn wait_all(runs: Vec<Watched>, patience: Duration) -> Vec<Ended> {
    let handles: Vec<_> = runs.into_iter().map(|run| std::thread::spawn(move || run.wait(patience))).collect();
    handles
        .into_iter()
        .map(|h| {
            let (ended, stderr) = h.join().expect("thread");
            ended.unwrap_or_else(|| panic!("a run did not end within {patience:?}: {stderr}"))
        })
        .collect()
}
