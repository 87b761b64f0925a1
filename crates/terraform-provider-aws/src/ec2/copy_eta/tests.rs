//! The estimate and the schedule on synthetic progress series, in simulated time: each test
//! walks the poll loop's decisions against a copy model, without sleeping.

use super::*;
use crate::ec2::backoff::Backoff;

/// A copy as the poll loop sees it: it started `offset` s before the wait began (CopyImage's
/// round trip), takes `duration` s, and `progress(t)` is what DescribeSnapshots says at `t`.
struct Copy<F: Fn(f64) -> Option<u8>> {
    offset: f64,
    duration: f64,
    progress: F,
}

impl<F: Fn(f64) -> Option<u8>> Copy<F> {
    fn end(&self) -> f64 {
        self.duration - self.offset
    }
}

fn linear(offset: f64, duration: f64) -> Copy<impl Fn(f64) -> Option<u8>> {
    Copy {
        offset,
        duration,
        // The emulator's reading: elapsed / duration, floored.
        progress: move |t: f64| {
            Some((100.0 * (t + offset) / duration).floor().clamp(0.0, 99.0) as u8)
        },
    }
}

/// The poll times until one sees the copy done (at most `limit` polls), with or without the
/// estimate.
fn polls<F: Fn(f64) -> Option<u8>>(copy: &Copy<F>, use_estimate: bool, limit: usize) -> Vec<f64> {
    let mut backoff = Backoff::default();
    let mut history = ProgressHistory::new(0.0);
    let mut t = backoff.next_delay().as_secs_f64();
    let mut out = vec![t];
    while t < copy.end() && out.len() < limit {
        if let Some(p) = (copy.progress)(t) {
            history.record(t, p);
        }
        let b = backoff.next_delay().as_secs_f64();
        let window = if use_estimate {
            history.end_window()
        } else {
            None
        };
        t = next_poll(t, b, &[window]);
        out.push(t);
    }
    out
}

#[test]
fn linear_progress_gives_a_narrow_window_around_the_end() {
    let copy = linear(0.1, 60.0);
    let mut h = ProgressHistory::new(0.0);
    for t in [0.5, 1.25, 2.375, 4.06, 6.6, 10.4, 16.1] {
        h.record(t, (copy.progress)(t).expect("progress"));
    }
    let w = h.end_window().expect("an estimate");
    assert!(w.earliest <= copy.end() && copy.end() <= w.latest, "{w:?}");
    assert!(w.width() < 5.0, "{w:?}");
}

#[test]
fn linear_copies_are_seen_within_a_poll_interval_and_with_fewer_calls() {
    for duration in [10.0, 60.0, 300.0] {
        for offset in [0.02, 0.3] {
            let copy = linear(offset, duration);
            let aimed = polls(&copy, true, 500);
            let plain = polls(&copy, false, 500);
            let seen = *aimed.last().expect("polls");
            assert!(
                seen - copy.end() <= DENSE_INTERVAL + 1e-9,
                "{duration} s copy seen {:.2} s late: {aimed:?}",
                seen - copy.end()
            );
            assert!(
                aimed.len() <= plain.len(),
                "{duration} s copy: {} polls with the estimate, {} with the back-off alone: {aimed:?}",
                aimed.len(),
                plain.len()
            );
        }
    }
}

#[test]
fn early_in_a_copy_polls_are_never_more_frequent_than_the_backoff() {
    for duration in [10.0, 60.0, 300.0] {
        let copy = linear(0.05, duration);
        let aimed = polls(&copy, true, 500);
        let plain = polls(&copy, false, 500);
        // Until the last 10% of the copy, every poll comes no sooner than the back-off's.
        for (i, t) in aimed.iter().enumerate() {
            if *t < 0.9 * copy.end() {
                assert!(
                    *t >= plain[i] - 1e-9,
                    "poll {i} at {t} before the back-off's {}",
                    plain[i]
                );
            }
        }
    }
}

#[test]
fn missing_progress_leaves_the_backoff_in_charge() {
    let copy = Copy {
        offset: 0.1,
        duration: 60.0,
        progress: |_| None,
    };
    assert_eq!(polls(&copy, true, 500), polls(&copy, false, 500));
}

#[test]
fn progress_stuck_at_zero_leaves_the_backoff_in_charge() {
    let copy = Copy {
        offset: 0.1,
        duration: 120.0,
        progress: |_| Some(0),
    };
    assert_eq!(polls(&copy, true, 500), polls(&copy, false, 500));
}

#[test]
fn coarse_progress_costs_no_more_than_the_backoff() {
    // Progress reported in 25% steps, as a coarse backend might.
    for duration in [60.0, 300.0] {
        let copy = Copy {
            offset: 0.1,
            duration,
            progress: move |t: f64| {
                Some(((100.0 * (t + 0.1) / duration / 25.0).floor() * 25.0).min(99.0) as u8)
            },
        };
        let aimed = polls(&copy, true, 500);
        let plain = polls(&copy, false, 500);
        assert!(aimed.len() <= plain.len() + 2, "{aimed:?} vs {plain:?}");
        let seen = aimed.last().expect("polls") - copy.end();
        let plain_seen = plain.last().expect("polls") - copy.end();
        assert!(
            seen <= plain_seen.max(DENSE_INTERVAL) + 1e-9,
            "{seen} vs {plain_seen}"
        );
    }
}

#[test]
fn a_copy_that_stalls_falls_back_to_the_backoff() {
    // Linear for a 60 s copy until 30 s, then stuck at 50% for good.
    let copy = Copy {
        offset: 0.0,
        duration: 10_000.0,
        progress: |t: f64| Some((100.0 * t.min(30.0) / 60.0).floor() as u8),
    };
    let aimed = polls(&copy, true, 60);
    // After the burst around the end first predicted (60 s), the gaps grow back to the cap.
    let late: Vec<f64> = aimed
        .windows(2)
        .filter(|w| w[0] > 62.0)
        .map(|w| w[1] - w[0])
        .collect();
    assert!(late.len() > 5, "{aimed:?}");
    assert!(late.iter().skip(3).all(|g| *g >= 10.0), "{late:?}");
    let burst = aimed.iter().filter(|t| (55.0..62.0).contains(*t)).count();
    assert!(
        burst <= 12,
        "{burst} polls around the mispredicted end: {aimed:?}"
    );
}

#[test]
fn a_copy_that_speeds_up_is_re_estimated() {
    // 1%/s until 20 s, then 4%/s: ends at 40 s.
    let progress = |t: f64| {
        let p = if t < 20.0 { t } else { 20.0 + 4.0 * (t - 20.0) };
        Some(p.floor().min(99.0) as u8)
    };
    let copy = Copy {
        offset: 0.0,
        duration: 40.0,
        progress,
    };
    let aimed = polls(&copy, true, 500);
    let plain = polls(&copy, false, 500);
    let seen = aimed.last().expect("polls") - copy.end();
    let plain_seen = plain.last().expect("polls") - copy.end();
    assert!(seen <= plain_seen + 1e-9, "{aimed:?} vs {plain:?}");
}

#[test]
fn readings_out_of_order_or_complete_are_ignored() {
    let mut h = ProgressHistory::new(0.0);
    h.record(2.0, 10);
    h.record(1.0, 5);
    h.record(2.0, 11);
    h.record(3.0, 100);
    assert_eq!(h.samples, vec![(2.0, 10.0)]);
    assert_eq!(
        h.end_window(),
        None,
        "one reading says nothing about the pace"
    );
}

#[test]
fn the_loop_polls_as_soon_as_any_copy_wants() {
    let near = EndWindow {
        earliest: 10.0,
        latest: 10.4,
    };
    let far = EndWindow {
        earliest: 100.0,
        latest: 100.5,
    };
    // Far from its end a copy waits at least the back-off; near it the loop aims at the end.
    assert_eq!(next_poll(9.0, 5.0, &[Some(far)]), 69.0);
    assert_eq!(
        next_poll(9.0, 5.0, &[Some(far), Some(near)]),
        10.0 + DENSE_INTERVAL
    );
    assert_eq!(next_poll(9.0, 5.0, &[Some(far), None]), 14.0);
    assert_eq!(next_poll(9.0, 5.0, &[]), 14.0);
    // Inside the window: dense; long past it: the back-off.
    assert_eq!(next_poll(10.1, 5.0, &[Some(near)]), 10.1 + DENSE_INTERVAL);
    assert_eq!(next_poll(20.0, 5.0, &[Some(near)]), 25.0);
}
