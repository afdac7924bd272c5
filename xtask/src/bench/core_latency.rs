//! How long a cache line takes to go from one core to another and back. On a virtual machine
//! whose cores sometimes share no cache it tells a run's slow state from its fast one: this
//! project's 2-core machines take ~65 ns or 250–550 ns, and their 2-thread rows lose ~25 % in
//! the second state (docs/PERFORMANCE.md, "what this machine's slow state is").

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Round trips per batch, and batches: a few milliseconds in all.
const ROUND_TRIPS: u64 = 20_000;
const BATCHES: usize = 5;

/// The line the two threads write in turn, alone in its cache line.
#[repr(align(128))]
struct Line(AtomicU64);

/// The median batch's mean round trip, in nanoseconds, of one value passed back and forth
/// between two threads; None where this process has fewer than two cores.
pub fn round_trip_ns() -> Option<f64> {
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        return None;
    }
    let line = Line(AtomicU64::new(0));
    let mut batches: Vec<f64> = std::thread::scope(|scope| {
        // The other thread answers every odd value with the next even one.
        scope.spawn(|| {
            for turn in 0..ROUND_TRIPS * BATCHES as u64 {
                wait_for(&line, 2 * turn + 1);
                line.0.store(2 * turn + 2, Ordering::Release);
            }
        });
        (0..BATCHES as u64)
            .map(|batch| {
                let started = Instant::now();
                for turn in batch * ROUND_TRIPS..(batch + 1) * ROUND_TRIPS {
                    line.0.store(2 * turn + 1, Ordering::Release);
                    wait_for(&line, 2 * turn + 2);
                }
                started.elapsed().as_nanos() as f64 / ROUND_TRIPS as f64
            })
            .collect()
    });
    batches.sort_by(f64::total_cmp);
    Some(batches[BATCHES / 2])
}

fn wait_for(line: &Line, value: u64) {
    while line.0.load(Ordering::Acquire) != value {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_takes_some_nanoseconds() {
        // Between ~20 ns (two threads of one core) and a millisecond (a descheduled thread).
        if let Some(ns) = round_trip_ns() {
            assert!((10.0..1_000_000.0).contains(&ns), "{ns} ns");
        }
    }
}
