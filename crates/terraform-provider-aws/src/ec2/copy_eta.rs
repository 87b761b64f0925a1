//! When will a copy end? Polls scheduled from the snapshots' `Progress`.
//!
//! The back-off alone notices a copy late: an 8 s copy 2-3 s after it ends, a long one up to the
//! 15 s cap. A copy's progress readings tell when it should end, so the waiter can poll sparsely
//! before that moment and densely around it. Pure: times are seconds on the caller's clock.
//!
//! The estimate assumes progress grows linearly over the copy, and uses every reading as an
//! interval (a reading of `p`% means somewhere in `[p, p + 1)`: the figure is floored; a backend
//! that rounds up gives readings no linear copy fits, and the back-off takes over). The copies that fit all readings give the earliest and latest possible end. When no
//! linear copy fits (progress jumps, as real EC2's can), the oldest readings are dropped until
//! one does; when the end is unbounded (progress stuck, or a single reading) there is no
//! estimate, and the back-off decides.

/// Readings kept per copy: the first (the longest baseline) and the latest ones.
const MAX_SAMPLES: usize = 24;
/// A reading of p% means the true progress is in [p - BELOW, p + ABOVE).
const BELOW: f64 = 0.0;
const ABOVE: f64 = 1.0;
/// Copies longer than this (about four months) are "no end in sight".
const UNBOUNDED: f64 = 1.0e7;

/// Interval between polls around the predicted end: completion is seen this soon after it.
pub const DENSE_INTERVAL: f64 = 0.3;
/// Polls are aimed at an end known this closely; an estimate wider than this (or than
/// [`AIM_FRACTION`] of the time left) is too vague to aim at: the back-off decides.
pub const MAX_AIM_WIDTH: f64 = 5.0;
/// Far from the end, an estimate this precise relative to the time left is good enough to skip
/// polls on the way there (the polls it does make, at uneven times, narrow it further).
const AIM_FRACTION: f64 = 0.1;
/// Wider than this, one poll half-way to the end narrows the estimate before aiming at it.
const REFINE_WIDTH: f64 = 3.0;
/// Still not done this long after the latest possible end: the estimate was wrong.
const LATE_MARGIN: f64 = 0.5;
/// The longest the estimate may make the loop wait between polls (a copy may still fail or be
/// deregistered meanwhile).
const MAX_GAP: f64 = 60.0;

/// The earliest and latest moment the copy can end, given its readings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EndWindow {
    pub earliest: f64,
    pub latest: f64,
}

impl EndWindow {
    pub fn width(&self) -> f64 {
        self.latest - self.earliest
    }
}

/// One copy's progress readings.
#[derive(Clone, Debug)]
pub struct ProgressHistory {
    /// The copy had started by then (the wait began after CopyImage answered). Readings of a
    /// copy that would have to start later (long at 0%, then a jump: coarse progress) fit no
    /// linear copy.
    started_by: f64,
    samples: Vec<(f64, f64)>,
}

enum Fit {
    Window(EndWindow),
    /// Linear copies of any length fit: no end in sight.
    Unbounded,
    /// No linear copy fits every reading.
    None,
}

impl ProgressHistory {
    /// A history for a copy that had started by `started_by`.
    pub fn new(started_by: f64) -> Self {
        ProgressHistory {
            started_by,
            samples: Vec::new(),
        }
    }

    /// Adds the reading `percent` taken at `at`. 100% says nothing about when the image itself
    /// will be available, and readings must move forward in time.
    pub fn record(&mut self, at: f64, percent: u8) {
        if percent >= 100 || !at.is_finite() {
            return;
        }
        if self.samples.last().is_some_and(|(t, _)| *t >= at) {
            return;
        }
        if self.samples.len() >= MAX_SAMPLES {
            self.samples.remove(1);
        }
        self.samples.push((at, f64::from(percent)));
    }

    /// When the copy can end, or `None` when the readings do not say.
    pub fn end_window(&self) -> Option<EndWindow> {
        for start in 0..self.samples.len().saturating_sub(1) {
            match fit(&self.samples[start..], self.started_by) {
                Fit::Window(w) => return Some(w),
                Fit::Unbounded => return None,
                // Progress changed pace: trust the more recent readings.
                Fit::None => continue,
            }
        }
        None
    }
}

/// The linear copies (start `s`, duration `d`) that fit every reading satisfy, for a reading of
/// `p` at `t`: `t - d * hi(p) <= s <= t - d * lo(p)`. For a given `d` the start lies between the
/// highest lower line and the lowest upper line; the end `s + d` is extreme at a corner of that
/// region, where two lines cross, so checking every crossing is enough.
fn fit(samples: &[(f64, f64)], started_by: f64) -> Fit {
    if samples.len() < 2 {
        return Fit::Unbounded;
    }
    let lower: Vec<(f64, f64)> = samples
        .iter()
        .map(|(t, p)| (*t, (p + ABOVE) / 100.0))
        .collect();
    let upper: Vec<(f64, f64)> = samples
        .iter()
        .map(|(t, p)| (*t, (p - BELOW).max(0.0) / 100.0))
        .chain(std::iter::once((started_by, 0.0)))
        .collect();
    let low_start = |d: f64| {
        lower
            .iter()
            .map(|(t, a)| t - d * a)
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let high_start = |d: f64| {
        upper
            .iter()
            .map(|(t, b)| t - d * b)
            .fold(f64::INFINITY, f64::min)
    };
    let fits = |d: f64| low_start(d) <= high_start(d) + 1e-9 * (1.0 + d);
    if fits(UNBOUNDED) {
        return Fit::Unbounded;
    }
    let lines: Vec<(f64, f64)> = lower.iter().chain(upper.iter()).copied().collect();
    let mut candidates = vec![1e-3];
    for (i, (t1, a1)) in lines.iter().enumerate() {
        for (t2, a2) in &lines[i + 1..] {
            if (a1 - a2).abs() > 1e-12 {
                let d = (t1 - t2) / (a1 - a2);
                if d > 0.0 && d < UNBOUNDED {
                    candidates.push(d);
                }
            }
        }
    }
    let mut window: Option<EndWindow> = None;
    for d in candidates.into_iter().filter(|d| fits(*d)) {
        let earliest = low_start(d) + d;
        let latest = high_start(d) + d;
        window = Some(match window {
            None => EndWindow { earliest, latest },
            Some(w) => EndWindow {
                earliest: w.earliest.min(earliest),
                latest: w.latest.max(latest),
            },
        });
    }
    window.map_or(Fit::None, Fit::Window)
}

/// When one copy wants the next poll. `backoff` is the delay the back-off would wait now.
///
/// Without a usable estimate: the back-off. Before the predicted end: never sooner than the
/// back-off, and later when the estimate allows it (polls half-way to refine a loose estimate,
/// then straight to the end). From the earliest end to shortly after the latest: every
/// [`DENSE_INTERVAL`]. Past that the estimate was wrong: the back-off again.
pub fn wanted_poll(now: f64, backoff: f64, window: Option<EndWindow>) -> f64 {
    let by_backoff = now + backoff;
    let Some(w) = window else {
        return by_backoff;
    };
    if now > w.latest + LATE_MARGIN {
        return by_backoff;
    }
    // A poll at the earliest end would see it only if the copy ended at that very instant: the
    // first poll worth making is one interval later (or at the latest end, if sooner).
    let first = (w.earliest + DENSE_INTERVAL).min(w.latest);
    let to_first = first - now;
    let narrow = w.width() <= MAX_AIM_WIDTH;
    if narrow && to_first <= backoff {
        return first.max(now + DENSE_INTERVAL);
    }
    if !narrow && w.width() > AIM_FRACTION * to_first {
        return by_backoff;
    }
    let longest = now + backoff.max(MAX_GAP);
    if w.width() > REFINE_WIDTH {
        return (now + backoff.max(to_first / 2.0)).min(longest);
    }
    first.min(longest)
}

/// The next poll of a loop shared by several copies: the soonest any of them wants.
/// `windows` has one entry per copy waited on (`None` where there is no estimate).
pub fn next_poll(now: f64, backoff: f64, windows: &[Option<EndWindow>]) -> f64 {
    windows
        .iter()
        .map(|w| wanted_poll(now, backoff, *w))
        .reduce(f64::min)
        .unwrap_or(now + backoff)
}

#[cfg(test)]
mod tests;
