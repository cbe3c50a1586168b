//! Reaching hosts cheaply. A scan holds two kinds of slot: a connect in
//! flight (a socket, a timer, and the TLS handshake's state) and a session
//! (the HTTP exchange, with its buffers). A host takes a session slot only
//! once its TCP connect and TLS handshake succeeded, so an address that never
//! answers (most of a CIDR sweep), or accepts TCP and never speaks TLS, costs
//! a connect slot for the connect timeout and never a session.
//!
//! The connect timeout follows the network: `--connect-timeout` is the
//! ceiling, and once `MIN_SAMPLES` connects succeeded in this run the TCP
//! connect gets `ADAPT_FACTOR` times their 99th percentile, never less than
//! `FLOOR` nor more than the ceiling. A live host whose SYN-ACK comes three
//! times later than the median is still reached: the p99 is at least the
//! median, times four. The TLS handshake keeps the whole ceiling.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The adaptive connect timeout's lowest value: one TCP SYN retransmission
/// (Linux's initial RTO is 1 s), so a host whose first SYN was lost on a
/// busy network is still reached.
pub const FLOOR: Duration = Duration::from_secs(1);
/// The connect timeout is this many times the p99 of successful connects.
pub const ADAPT_FACTOR: u32 = 4;
/// Successful connects seen before the timeout adapts.
pub const MIN_SAMPLES: u64 = 16;
/// Buckets of connect times: bucket `i` holds times under 2^i × 64 µs
/// (the last, up to about 69 minutes: everything).
const BUCKETS: usize = 26;

/// Connect times of this run, and the slots in use: shared by every probe.
#[derive(Debug)]
pub struct Reach {
    /// `--connect-timeout`: the ceiling, and the timeout until enough samples.
    ceiling: Duration,
    adaptive: bool,
    buckets: [AtomicU64; BUCKETS],
    samples: AtomicU64,
    connects: Gauge,
    sessions: Gauge,
}

/// A count in use, and its highest value.
#[derive(Debug, Default)]
pub struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    /// One more in use until the guard drops.
    pub fn enter(&self) -> GaugeGuard<'_> {
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(now, Ordering::Relaxed);
        GaugeGuard(self)
    }

    /// The most in use at once so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }
}

/// Leaves its gauge on drop.
pub struct GaugeGuard<'a>(&'a Gauge);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Reach {
    /// Connect times start empty; `adaptive` false keeps the ceiling throughout.
    pub fn new(ceiling: Duration, adaptive: bool) -> Reach {
        Reach {
            ceiling,
            adaptive,
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            samples: AtomicU64::new(0),
            connects: Gauge::default(),
            sessions: Gauge::default(),
        }
    }

    /// Connects in flight.
    pub fn connects(&self) -> &Gauge {
        &self.connects
    }

    /// Sessions (TLS and HTTP) in progress.
    pub fn sessions(&self) -> &Gauge {
        &self.sessions
    }

    /// Records a TCP connect that succeeded after `took`.
    pub fn record(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = (micros / 64).checked_ilog2().map_or(0, |b| b as usize + 1).min(BUCKETS - 1);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.samples.fetch_add(1, Ordering::Relaxed);
    }

    /// The upper bound of the bucket holding the 99th percentile; `None`
    /// before `MIN_SAMPLES`.
    fn p99(&self) -> Option<Duration> {
        let samples = self.samples.load(Ordering::Relaxed);
        if samples < MIN_SAMPLES {
            return None;
        }
        let want = samples - samples / 100;
        let mut seen = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= want {
                return Some(Duration::from_micros(64 << i));
            }
        }
        Some(self.ceiling)
    }

    /// Whether the timeout no longer changes much: fixed, or adapted from
    /// enough samples.
    pub fn settled(&self) -> bool {
        !self.adaptive || self.samples.load(Ordering::Relaxed) >= MIN_SAMPLES
    }

    /// The TCP connect timeout now.
    pub fn connect_timeout(&self) -> Duration {
        match self.p99().filter(|_| self.adaptive) {
            Some(p99) => (p99 * ADAPT_FACTOR).max(FLOOR).min(self.ceiling),
            None => self.ceiling,
        }
    }

    /// For the summary: the timeout used at the end, and the slots' peaks.
    pub fn describe(&self, max_connects: usize, concurrency: usize) -> String {
        let samples = self.samples.load(Ordering::Relaxed);
        let secs = |d: Duration| d.as_secs_f64();
        let how = if !self.adaptive {
            "fixed".to_string()
        } else if samples < MIN_SAMPLES {
            format!("the ceiling: {samples} connects succeeded, fewer than {MIN_SAMPLES} to adapt from")
        } else {
            format!(
                "adaptive: {ADAPT_FACTOR} × p99 of {samples} connects, floor {} s, ceiling {} s",
                secs(FLOOR),
                secs(self.ceiling)
            )
        };
        format!(
            "connect timeout {:.3} s ({how}); at most {} connects in flight (--max-connects {max_connects}), {} sessions (--concurrency {concurrency})",
            secs(self.connect_timeout()),
            self.connects.peak(),
            self.sessions.peak()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_adapts_between_the_floor_and_the_ceiling() {
        let ceiling = Duration::from_secs(5);
        let reach = Reach::new(ceiling, true);
        for _ in 0..MIN_SAMPLES - 1 {
            reach.record(Duration::from_millis(50));
        }
        assert_eq!(reach.connect_timeout(), ceiling, "too few samples: the ceiling");
        for _ in 0..200 {
            reach.record(Duration::from_millis(50));
        }
        // A LAN at 50 ms: 4 × the p99 bucket's bound (65.5 ms), the floor wins.
        assert_eq!(reach.connect_timeout(), FLOOR);
        let slow = Reach::new(ceiling, true);
        for _ in 0..200 {
            slow.record(Duration::from_millis(400));
        }
        let timeout = slow.connect_timeout();
        // A live host at three times the median is still inside it.
        assert!(timeout >= Duration::from_millis(1200) && timeout <= ceiling, "{timeout:?}");
        assert!(timeout > FLOOR, "{timeout:?}");
        let far = Reach::new(ceiling, true);
        for _ in 0..200 {
            far.record(Duration::from_secs(3));
        }
        assert_eq!(far.connect_timeout(), ceiling, "never above the ceiling");
        let fixed = Reach::new(ceiling, false);
        for _ in 0..200 {
            fixed.record(Duration::from_millis(1));
        }
        assert_eq!(fixed.connect_timeout(), ceiling);
    }

    #[test]
    fn gauges_keep_their_peak() {
        let reach = Reach::new(Duration::from_secs(1), true);
        {
            let _a = reach.sessions().enter();
            let _b = reach.sessions().enter();
        }
        let _c = reach.sessions().enter();
        assert_eq!(reach.sessions().peak(), 2);
        assert!(reach.describe(8, 2).contains("2 sessions"));
    }
}
