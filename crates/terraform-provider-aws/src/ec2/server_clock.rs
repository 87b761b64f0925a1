//! EC2's clock against this machine's, from the `Date` header of an EC2 answer.
//!
//! An image's `CreationDate` is stamped by EC2's clock; when it is compared with a moment this
//! machine measured (when a CopyImage was first sent), the two clocks must be lined up. The
//! `Date` header is whole seconds, rounded down, so the offset measured from it is a lower bound:
//! EC2's clock may be up to a second (and the answer's travel time) ahead of what it says.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// EC2's clock minus this machine's, in milliseconds (a lower bound, see the module).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skew {
    pub server_minus_local_ms: i64,
}

impl Skew {
    /// From a `Date` header's value and the local time the answer arrived.
    pub fn from_date_header(value: &str, received: OffsetDateTime) -> Option<Skew> {
        let server = DateTime::from_str(value.trim(), Format::HttpDate).ok()?;
        let server_ms =
            i128::from(server.secs()) * 1000 + i128::from(server.subsec_nanos() / 1_000_000);
        let local_ms = received.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(server_ms - local_ms)
            .ok()
            .map(|server_minus_local_ms| Skew {
                server_minus_local_ms,
            })
    }

    /// `local` (a moment on this machine's clock) on EC2's clock, as far as the offset tells.
    pub fn on_server_clock(&self, local: OffsetDateTime) -> OffsetDateTime {
        local + time::Duration::milliseconds(self.server_minus_local_ms)
    }
}

/// An interceptor for one call (`.customize().interceptor(...)`): remembers the skew its answer's
/// `Date` header shows.
#[derive(Clone, Debug, Default)]
pub struct DateHeader(Arc<Mutex<Option<Skew>>>);

impl DateHeader {
    /// The skew the last answer showed, if one had a readable `Date`.
    pub fn skew(&self) -> Option<Skew> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Intercept for DateHeader {
    fn name(&self) -> &'static str {
        "DateHeader"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = OffsetDateTime::now_utc();
        if let Some(skew) = context
            .response()
            .headers()
            .get("date")
            .and_then(|v| Skew::from_date_header(v, received))
        {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(skew);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn skew_from_a_date_header() {
        let received = datetime!(2026-12-06 10:00:00.250 UTC);
        let same = Skew::from_date_header("Sun, 06 Dec 2026 10:00:00 GMT", received);
        assert_eq!(
            same,
            Some(Skew {
                server_minus_local_ms: -250
            })
        );
        let ahead = Skew::from_date_header("Sun, 06 Dec 2026 10:05:00 GMT", received);
        assert_eq!(
            ahead,
            Some(Skew {
                server_minus_local_ms: 299_750
            })
        );
        let behind =
            Skew::from_date_header("Sun, 06 Dec 2026 09:59:00 GMT", received).expect("date");
        assert_eq!(
            behind.on_server_clock(received),
            datetime!(2026-12-06 09:59:00 UTC)
        );
        assert_eq!(Skew::from_date_header("yesterday", received), None);
    }
}
