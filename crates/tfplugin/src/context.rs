//! What every provider, resource and data source call receives.

use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Per-call context. `stop` is cancelled when Terraform calls StopProvider (Ctrl-C) or the
/// plugin is being shut down: long operations must watch it and return promptly. `deadline`,
/// when set, is when the operation's own time limit (a resource's `timeouts`) runs out: every
/// call made on its behalf should give up by then.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Cancelled on StopProvider or shutdown.
    pub stop: CancellationToken,
    /// The operation's time limit, if it has one.
    pub deadline: Option<Deadline>,
    /// ReadResource only: Terraform announced this read by upgrading the same resource's state
    /// just before (a refresh; see [`crate::expected_reads`]).
    pub announced_read: bool,
}

/// When an operation's time limit runs out, and which limit it is (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// When the limit runs out.
    pub at: Instant,
    /// The limit as configured, e.g. 20 s.
    pub limit: Duration,
    /// Its name, e.g. `"update"` for `timeouts { update = ... }`.
    pub name: &'static str,
}

impl Context {
    /// This context with a time limit of `limit` from now, named `name`; an earlier deadline
    /// already set is kept.
    pub fn with_timeout(&self, name: &'static str, limit: Duration) -> Context {
        let now = Instant::now();
        // A huge limit ("no limit") must not overflow the clock: then there is no deadline.
        let new = now
            .checked_add(limit)
            .map(|at| Deadline { at, limit, name });
        let deadline = match (self.deadline, new) {
            (Some(old), Some(new)) if new.at < old.at => Some(new),
            (Some(old), _) => Some(old),
            (None, new) => new,
        };
        Context {
            stop: self.stop.clone(),
            deadline,
            announced_read: self.announced_read,
        }
    }

    /// How long a wait that would take at most `full` may take: `full`, cut to the time left
    /// before the deadline. An operation's timeout bounds the whole operation, as in the Go
    /// SDK, not each wait inside it afresh.
    pub fn budget(&self, full: Duration) -> Duration {
        self.remaining().map_or(full, |left| left.min(full))
    }

    /// The time left before the deadline (zero once it has passed); `None` without one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.at.saturating_duration_since(Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earlier_deadline_wins_and_huge_limits_mean_none() {
        let ctx = Context::default();
        assert_eq!(ctx.remaining(), None);
        let short = ctx.with_timeout("update", Duration::from_secs(20));
        let left = short.remaining().expect("a deadline");
        assert!(left <= Duration::from_secs(20) && left > Duration::from_secs(19));
        // A longer limit later does not extend it; a shorter one does shorten it.
        let longer = short.with_timeout("inner", Duration::from_secs(60));
        assert_eq!(longer.deadline, short.deadline);
        let shorter = short.with_timeout("inner", Duration::from_secs(5));
        assert_eq!(shorter.deadline.map(|d| d.name), Some("inner"));
        assert!(ctx.with_timeout("x", Duration::MAX).deadline.is_none());
        // The stop token is shared, not copied.
        short.stop.cancel();
        assert!(ctx.stop.is_cancelled());
    }

    #[test]
    fn remaining_is_zero_once_passed() {
        let ctx = Context::default().with_timeout("create", Duration::ZERO);
        assert_eq!(ctx.remaining(), Some(Duration::ZERO));
        assert_eq!(ctx.budget(Duration::from_secs(60)), Duration::ZERO);
        let ten = Duration::from_secs(10);
        assert_eq!(Context::default().budget(ten), ten);
        let later = Context::default().with_timeout("create", Duration::from_secs(3600));
        assert_eq!(later.budget(ten), ten);
    }
}
