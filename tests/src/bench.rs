//! What the MPyC benches (`tests/benches/session.rs`, `parties.rs`) read from runs, written once:
//! MPyC's own report of a run, the CPU the runs used, the time to all parties connected, and
//! medians of rounds.

use std::time::{Duration, Instant};

use crate::session::Ended;

/// One run: MPyC's elapsed time and the wall time (the slowest party's), the CPU seconds of all
/// its processes, and the kilobytes MPyC sent (all parties); where the wall time beyond MPyC's
/// went: from the start to the last party's program starting MPyC (`up`), and from the last
/// party's MPyC stopping to the last process ending (`down`), read from MPyC's log lines.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub elapsed: Duration,
    pub wall: Duration,
    pub cpu: f64,
    pub kb: f64,
    pub up: Duration,
    pub down: Duration,
}

/// Each figure's median over `samples` (taken apart: the median run of one figure need not be
/// that of another).
///
/// # Panics
/// When there are no samples.
pub fn median(samples: &[Timing]) -> Timing {
    let middle = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Timing {
        elapsed: Duration::from_secs_f64(middle(samples.iter().map(|t| t.elapsed.as_secs_f64()).collect())),
        wall: Duration::from_secs_f64(middle(samples.iter().map(|t| t.wall.as_secs_f64()).collect())),
        cpu: middle(samples.iter().map(|t| t.cpu).collect()),
        kb: middle(samples.iter().map(|t| t.kb).collect()),
        up: Duration::from_secs_f64(middle(samples.iter().map(|t| t.up.as_secs_f64()).collect())),
        down: Duration::from_secs_f64(middle(samples.iter().map(|t| t.down.as_secs_f64()).collect())),
    }
}

/// CPU seconds (user and system) used so far by this process's waited-for descendants: MPyC, and
/// `mpc-id run` with the MPyC it ran.
pub fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(13) + ticks(14)) as f64 / 100.0
}

/// The timing of one run of every party, started at `started` with [`children_cpu`] then at
/// `cpu_before`.
///
/// # Panics
/// When a party's run failed, or MPyC did not report its elapsed time.
pub fn timing(ended: &[Ended], started: Instant, cpu_before: f64) -> Timing {
    let (mut elapsed, mut wall, mut bytes) = (Duration::ZERO, Duration::ZERO, 0u64);
    // MPyC's log lines carry the time of day on the local clock; `started` is placed on it
    // through the system clock (see `seconds_after`).
    let started_at = std::time::SystemTime::now() - started.elapsed();
    let (mut up, mut stopped) = (0f64, 0f64);
    // The run that failed first is often not the one that explains it (the others wait out a
    // party that could not start): every run's output, before the assertion names one.
    if ended.iter().any(|r| r.code != Some(0)) {
        for (i, run) in ended.iter().enumerate() {
            eprintln!(
                "===== run {i}: code {:?} at {:?}\n{}\n--- stdout\n{}",
                run.code,
                run.at.duration_since(started),
                run.stderr,
                run.stdout
            );
        }
    }
    for run in ended {
        assert_eq!(run.code, Some(0), "a run failed: {}", run.stderr);
        let (run_elapsed, sent) = mpyc_stop_line(&run.stdout);
        elapsed = elapsed.max(run_elapsed);
        bytes += sent;
        wall = wall.max(run.at.duration_since(started));
        let logged = |what: &str| {
            let line = run.stdout.lines().find(|l| l.contains(what))?;
            seconds_after(started_at, line, run.at.duration_since(started))
        };
        up = up.max(logged("Start MPyC runtime").unwrap_or_default());
        stopped = stopped.max(logged("Stop MPyC").unwrap_or_default());
    }
    Timing {
        elapsed,
        wall,
        cpu: children_cpu() - cpu_before,
        kb: bytes as f64 / 1024.0,
        up: Duration::from_secs_f64(up),
        down: wall.saturating_sub(Duration::from_secs_f64(stopped)),
    }
}

/// Seconds from `started` to an MPyC log line's time (`YYYY-MM-DD HH:MM:SS,mmm ...`, the local
/// time of day). The local clock's offset from UTC is a multiple of a quarter of an hour, found
/// by rounding the line's distance to the run's end (`ended`, seconds after `started`), which
/// is far less.
fn seconds_after(started: std::time::SystemTime, line: &str, ended: Duration) -> Option<f64> {
    const DAY: f64 = 86_400.0;
    let clock = line.split_whitespace().nth(1)?;
    let (hms, millis) = clock.split_once(',')?;
    let mut of_day = 0f64;
    for part in hms.split(':') {
        of_day = of_day * 60.0 + part.parse::<f64>().ok()?;
    }
    of_day += millis.parse::<f64>().ok()? / 1000.0;
    let utc = started.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs_f64() % DAY;
    let from_end = (of_day - utc - ended.as_secs_f64()).rem_euclid(DAY);
    let zone = (from_end / 900.0).round() * 900.0;
    Some((of_day - utc - zone).rem_euclid(DAY))
}

/// MPyC's `Stop MPyC -- elapsed time: H:MM:SS.fff|bytes sent: N`: the time, and the bytes (0
/// where an MPyC version does not say).
///
/// # Panics
/// When there is no such line.
pub fn mpyc_stop_line(stdout: &str) -> (Duration, u64) {
    let line = stdout.lines().find(|l| l.contains("elapsed time:")).expect("MPyC reports its elapsed time");
    let time = line.split("elapsed time: ").nth(1).and_then(|t| t.split('|').next()).expect("time");
    let parts: Vec<f64> = time.split(':').map(|p| p.trim().parse().expect("number")).collect();
    let sent = line.split("bytes sent: ").nth(1).and_then(|b| b.trim().parse().ok()).unwrap_or(0);
    (Duration::from_secs_f64(parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]), sent)
}

/// Each `mpc-id run`'s "all parties connected in S s".
pub fn connected_in(ended: &[Ended]) -> Vec<Duration> {
    ended
        .iter()
        .filter_map(|run| {
            let line = run.stderr.lines().find(|l| l.contains("all parties connected in"))?;
            let seconds: f64 = line.rsplit(" in ").next()?.trim_end_matches(" s").parse().ok()?;
            Some(Duration::from_secs_f64(seconds))
        })
        .collect()
}
