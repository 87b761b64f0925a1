//! Checks of single values that the provider block and the resources share, so that one value
//! (a region, a duration, an ARN, a tag key, a time) means the same wherever it is written.
//!
//! Each check returns the rule it enforces as a sentence; the caller adds the attribute path.

use std::time::Duration;

/// AWS region names: lowercase words joined by `-`, ending in a number (`us-east-1`,
/// `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`). New partitions add new word shapes, so
/// only the shape is checked, never a list of regions.
pub fn region(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split('-').collect();
    let (number, words) = parts.split_last().unwrap_or((&"", &[]));
    let shaped = words.len() >= 2
        && words
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit());
    if shaped {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS region name like \"us-east-1\" or \"us-gov-west-1\"."
        ))
    }
}

/// Parses a Go `time.ParseDuration` string (`40m`, `1h30m`, `1.5h`, `90s`, `300ms`) into a
/// non-negative duration: timeouts and session durations written for the Go provider keep
/// working here.
pub fn go_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration like \"1h\", \"45m\" or \"1h30m\".");
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    if rest.starts_with('-') {
        return Err(format!("duration must not be negative (got {s:?})."));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, after) = rest.split_at(num_len);
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let value: f64 = num.parse().map_err(|_| bad())?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let seconds = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += value * seconds;
        rest = next;
    }
    if !total.is_finite() || total > 1e12 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

/// The six parts of an ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
#[derive(Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Splits an ARN into its parts; the partition starts with `aws` (`aws`, `aws-cn`,
/// `aws-us-gov`, ...), service and resource are not empty.
pub fn arn(s: &str) -> Result<Arn<'_>, String> {
    let bad = || format!("{s:?} is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE).");
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(bad());
    };
    let ok = prefix == "arn"
        && partition.starts_with("aws")
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && !service.is_empty()
        && !resource.is_empty();
    if !ok {
        return Err(bad());
    }
    Ok(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// An AWS account id: exactly 12 digits.
pub fn account_id(s: &str) -> Result<(), String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("an AWS account id is exactly 12 digits.".into())
    }
}

/// A tag key EC2 accepts from a user: 1 to 128 characters, not starting with `aws:` (in any
/// case: EC2 refuses `AWS:` too).
pub fn tag_key(k: &str) -> Result<(), String> {
    if k.is_empty() || k.chars().count() > 128 {
        Err(format!("tag key {k:?} must have 1 to 128 characters."))
    } else if k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        Err(format!(
            "tag key {k:?}: keys starting with \"aws:\" are reserved by AWS."
        ))
    } else {
        Ok(())
    }
}

/// A tag value: at most 256 characters.
pub fn tag_value(v: &str) -> Result<(), String> {
    if v.chars().count() > 256 {
        Err("a tag value is at most 256 characters.".into())
    } else {
        Ok(())
    }
}

/// An RFC 3339 time, as EC2 and Terraform's `timestamp()` write it.
pub fn rfc3339(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("{s:?} is not an RFC 3339 time, like \"2030-01-31T23:59:00Z\"."))
}

/// Region names of every shape AWS uses, for the tests of each argument that takes a region.
#[cfg(test)]
pub const REGION_EXAMPLES: &[&str] = &[
    "us-east-1",
    "eu-central-2",
    "us-gov-west-1",
    "cn-northwest-1",
    "us-isob-east-1",
    "eusc-de-east-1",
];

/// Strings that look almost like region names.
#[cfg(test)]
pub const NOT_REGIONS: &[&str] = &["us-east", "useast1", "US-EAST-1", "us-east-1a", ""];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in REGION_EXAMPLES {
            assert!(region(ok).is_ok(), "{ok}");
        }
        for bad in NOT_REGIONS.iter().chain(&["-1", "us--1", "Not A Region"]) {
            assert!(region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn go_durations() {
        let secs = |x: u64| Ok(Duration::from_secs(x));
        assert_eq!(go_duration("40m"), secs(2400));
        assert_eq!(go_duration("1h"), secs(3600));
        assert_eq!(go_duration("1h30m"), secs(5400));
        assert_eq!(go_duration("1.5h"), secs(5400));
        assert_eq!(go_duration("90s"), secs(90));
        assert_eq!(go_duration("+90s"), secs(90));
        assert_eq!(go_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(go_duration("0"), Ok(Duration::ZERO));
        for bad in [
            "", "1", "40", "h", "m", "1x", "1d", "-1h", "-5m", "1h 30m", "1.h.5", "1..5h", ".",
        ] {
            assert!(go_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arns() {
        let a = arn("arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/my/key").expect("arn");
        assert_eq!(a.partition, "aws-us-gov");
        assert_eq!(a.service, "kms");
        assert_eq!(a.region, "us-gov-west-1");
        assert_eq!(a.account, "123456789012");
        assert_eq!(a.resource, "alias/my/key");
        assert!(arn("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        for bad in [
            "not-an-arn",
            "arn:aws:kms",
            "arn:gcp:kms:r:a:key/x",
            "arn:aws::r:a:x",
            "arn:aws:s3:r:a:",
        ] {
            assert!(arn(bad).is_err(), "{bad}");
        }
        assert!(account_id("123456789012").is_ok());
        assert!(account_id("12345678901").is_err());
    }

    #[test]
    fn tag_keys_and_values() {
        assert!(tag_key("Name").is_ok());
        assert!(tag_key("").is_err());
        assert!(tag_key(&"k".repeat(129)).is_err());
        assert!(tag_key("aws:owner").unwrap_err().contains("aws:"));
        assert!(tag_key("AWS:owner").is_err());
        assert!(tag_value(&"v".repeat(256)).is_ok());
        assert!(tag_value(&"v".repeat(257)).is_err());
    }

    #[test]
    fn rfc3339_times() {
        assert!(rfc3339("2030-01-01T00:00:00Z").is_ok());
        assert!(rfc3339("2030-01-01T02:00:00.5+02:00").is_ok());
        for bad in ["2030-01-01", "tomorrow", "2030-13-01T00:00:00Z"] {
            assert!(rfc3339(bad).is_err(), "{bad}");
        }
    }
}
