//! Adaptive poll interval: poll soon after something starts, so a quick copy is seen
//! within a second, then less and less often, up to a cap, so long copies cost few calls.

use std::time::Duration;

/// Floor for the first delay, so a zero configuration cannot turn the poll loop into a busy loop.
const MIN_DELAY: Duration = Duration::from_millis(10);

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BackoffConfig {
    /// Delay before the first poll.
    pub initial: Duration,
    /// Each delay is the previous one times this (≥ 1).
    pub factor: f64,
    /// No delay is longer than this.
    pub cap: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            initial: Duration::from_millis(500),
            factor: 1.5,
            cap: Duration::from_secs(15),
        }
    }
}

/// The sequence of delays between polls. Pure: the caller does the sleeping.
#[derive(Clone, Debug)]
pub struct Backoff {
    config: BackoffConfig,
    next: Duration,
}

impl Backoff {
    pub fn new(config: BackoffConfig) -> Self {
        // Tolerate odd configurations instead of panicking or spinning: a zero initial delay is
        // raised to a floor, a cap below it is raised to it, and a shrinking factor becomes a
        // constant interval.
        let initial = config.initial.max(MIN_DELAY);
        let cap = config.cap.max(initial);
        let factor = if config.factor.is_finite() && config.factor >= 1.0 {
            config.factor
        } else {
            1.0
        };
        let config = BackoffConfig {
            initial,
            factor,
            cap,
        };
        Backoff {
            next: config.initial,
            config,
        }
    }

    /// Start over from the initial delay (something new is waiting and may finish soon).
    pub fn reset(&mut self) {
        self.next = self.config.initial;
    }

    /// The delay before the next poll; advances the sequence.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        let grown = d.as_secs_f64() * self.config.factor;
        self.next = if grown >= self.config.cap.as_secs_f64() {
            self.config.cap
        } else {
            Duration::from_secs_f64(grown)
        };
        d
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(BackoffConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[test]
    fn default_sequence_grows_to_cap() {
        let mut b = Backoff::default();
        let seq: Vec<u128> = (0..12).map(|_| ms(b.next_delay())).collect();
        assert_eq!(
            seq,
            vec![500, 750, 1125, 1687, 2531, 3796, 5695, 8542, 12814, 15000, 15000, 15000]
        );
        // First poll within a second.
        assert!(seq[0] <= 1000);
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::default();
        for _ in 0..20 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), Duration::from_secs(15));
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(500));
        assert_eq!(b.next_delay(), Duration::from_millis(750));
    }

    #[test]
    fn configurable_cap_and_factor() {
        let mut b = Backoff::new(BackoffConfig {
            initial: Duration::from_secs(1),
            factor: 2.0,
            cap: Duration::from_secs(5),
        });
        let seq: Vec<u128> = (0..5).map(|_| ms(b.next_delay())).collect();
        assert_eq!(seq, vec![1000, 2000, 4000, 5000, 5000]);
    }

    #[test]
    fn odd_configs_do_not_panic_or_spin() {
        let mut b = Backoff::new(BackoffConfig {
            initial: Duration::from_secs(2),
            factor: 0.1,
            cap: Duration::ZERO,
        });
        assert_eq!(b.next_delay(), Duration::from_secs(2));
        assert_eq!(b.next_delay(), Duration::from_secs(2));

        let mut b = Backoff::new(BackoffConfig {
            initial: Duration::from_millis(100),
            factor: f64::NAN,
            cap: Duration::from_secs(1),
        });
        assert_eq!(b.next_delay(), Duration::from_millis(100));
        assert_eq!(b.next_delay(), Duration::from_millis(100));

        let mut b = Backoff::new(BackoffConfig {
            initial: Duration::ZERO,
            factor: 2.0,
            cap: Duration::from_secs(1),
        });
        assert_eq!(b.next_delay(), MIN_DELAY);
        assert_eq!(b.next_delay(), MIN_DELAY * 2);
    }
}
