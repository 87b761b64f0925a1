//! Static checks of an `aws_ami_copy` configuration (B12: bad input never reaches AWS).
//!
//! Pure: no network. Unknown values are skipped (they are checked again at apply time, when
//! Terraform validates the final configuration). Every diagnostic points at its attribute and
//! states the rule.

use super::schema::{DEREG_PROTECTION_VALUES, READ_ONLY};
use crate::validators;
use regex::Regex;
use std::sync::OnceLock;
use tfplugin::{AttributePath, Diagnostics, Value};

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // The patterns are literals of this file; a bad one is a programming error caught by tests.
    cell.get_or_init(|| Regex::new(pattern).expect("valid regex literal"))
}

fn ami_id_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
}
fn name_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")
}
fn zone_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    // us-east-1a, us-west-2-lax-1a, ap-northeast-1-tpe-1a
    re(&R, r"^[a-z]{2}(-[a-z0-9]+)+[a-z]$")
}

/// One rule violation, before it becomes a diagnostic.
fn err(diags: &mut Diagnostics, path: AttributePath, summary: &str, detail: String) {
    diags.attr_error(path, summary, detail);
}

/// A known string attribute of `config`, or None when null, unknown or not a string.
fn known_str<'a>(config: &'a Value, name: &str) -> Option<&'a str> {
    config.get(name).as_str()
}

pub fn validate(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();

    for name in READ_ONLY {
        let v = config.get(name);
        if !v.is_null() {
            err(
                &mut d,
                AttributePath::root(*name),
                "Read-only attribute",
                format!(
                    "\"{name}\" is read-only on a copy: EC2 copies it from the source AMI and it cannot be \
                     chosen. Remove \"{name}\" from the configuration; read it as aws_ami_copy.<name>.{name}."
                ),
            );
        }
    }

    if let Some(name) = known_str(config, "name") {
        check_name(&mut d, name);
    }
    if let Some(id) = known_str(config, "source_ami_id") {
        if !ami_id_re().is_match(id) {
            err(
                &mut d,
                AttributePath::root("source_ami_id"),
                "Invalid AMI ID",
                format!("source_ami_id {id:?} must be \"ami-\" followed by 8 or 17 lowercase hexadecimal digits."),
            );
        }
    }
    for attr in ["source_ami_region", "region"] {
        if let Some(r) = known_str(config, attr) {
            if let Err(rule) = validators::region(r) {
                err(
                    &mut d,
                    AttributePath::root(attr),
                    "Invalid region",
                    format!("{attr}: {rule}"),
                );
            }
        }
    }
    if let Some(desc) = known_str(config, "description") {
        let n = desc.chars().count();
        if n > 255 {
            err(
                &mut d,
                AttributePath::root("description"),
                "Description too long",
                format!("description has {n} characters; EC2 allows at most 255."),
            );
        }
    }
    if let Some(t) = known_str(config, "deprecation_time") {
        if let Err(rule) = validators::rfc3339(t) {
            err(
                &mut d,
                AttributePath::root("deprecation_time"),
                "Invalid deprecation time",
                format!("deprecation_time {rule}"),
            );
        }
    }
    if let Some(k) = known_str(config, "kms_key_id") {
        if !is_kms_key_arn(k) {
            err(
                &mut d,
                AttributePath::root("kms_key_id"),
                "Invalid KMS key ARN",
                format!(
                    "kms_key_id {k:?} must be the full ARN of a KMS key \
                     (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID, or an alias ARN arn:aws:kms:REGION:ACCOUNT:alias/NAME)."
                ),
            );
        }
    }
    // EC2 refuses KmsKeyId without Encrypted (InvalidParameterDependency).
    if !config.get("kms_key_id").is_null()
        && matches!(config.get("encrypted"), Value::Null | Value::Bool(false))
    {
        err(
            &mut d,
            AttributePath::root("kms_key_id"),
            "kms_key_id needs encrypted",
            "kms_key_id is set but encrypted is not true: EC2 uses a KMS key only for an encrypted copy. \
             Set encrypted = true."
                .to_string(),
        );
    }
    if let Some(a) = known_str(config, "destination_outpost_arn") {
        if !is_outpost_arn(a) {
            err(
                &mut d,
                AttributePath::root("destination_outpost_arn"),
                "Invalid Outpost ARN",
                format!(
                    "destination_outpost_arn {a:?} must be an Outpost ARN \
                     (arn:aws:outposts:REGION:ACCOUNT:outpost/op- followed by 17 hexadecimal digits)."
                ),
            );
        }
    }
    if let Some(z) = known_str(config, "destination_availability_zone") {
        if !zone_re().is_match(z) {
            err(
                &mut d,
                AttributePath::root("destination_availability_zone"),
                "Invalid availability zone",
                format!("destination_availability_zone {z:?} is not a zone name (like \"us-west-2-lax-1a\")."),
            );
        }
    }
    // Both set (even if one is still unknown, it will be set): EC2 takes one destination.
    if !config.get("destination_availability_zone").is_null()
        && !config.get("destination_outpost_arn").is_null()
    {
        err(
            &mut d,
            AttributePath::root("destination_availability_zone"),
            "Conflicting arguments",
            "destination_availability_zone conflicts with destination_outpost_arn: a copy goes to a Local Zone \
             or to an Outpost, not both. Set only one."
                .to_string(),
        );
    }
    check_completion_minutes(
        &mut d,
        config.get("snapshot_copy_completion_duration_minutes"),
    );
    if let Some(p) = known_str(config, "deregistration_protection") {
        if !DEREG_PROTECTION_VALUES.contains(&p) {
            err(
                &mut d,
                AttributePath::root("deregistration_protection"),
                "Invalid deregistration protection",
                format!("deregistration_protection {p:?} must be one of \"enabled\", \"enabled-with-cooldown\", \"disabled\"."),
            );
        }
    }
    check_tags(&mut d, config.get("tags"));
    check_timeouts(&mut d, config.get("timeouts"));
    d
}

fn check_name(d: &mut Diagnostics, name: &str) {
    if !name_re().is_match(name) {
        let n = name.chars().count();
        let why = if !(3..=128).contains(&n) {
            format!("it has {n} characters")
        } else {
            let bad: String = name
                .chars()
                .filter(|c| !(c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(*c)))
                .collect();
            format!("it contains {bad:?}")
        };
        err(
            d,
            AttributePath::root("name"),
            "Invalid AMI name",
            format!(
                "name {name:?} is not a valid AMI name ({why}): 3 to 128 characters, only letters, digits, \
                 spaces and ( ) [ ] . / - ' @ _."
            ),
        );
    }
}

fn check_completion_minutes(d: &mut Diagnostics, v: &Value) {
    if !v.is_known_value() {
        return;
    }
    let path = AttributePath::root("snapshot_copy_completion_duration_minutes");
    let ok = matches!(v.as_i64(), Some(m) if (15..=2880).contains(&m) && m % 15 == 0);
    if !ok {
        let shown = match v {
            Value::Number(n) => format!("{}", n.as_f64()),
            other => format!("{other:?}"),
        };
        err(
            d,
            path,
            "Invalid completion duration",
            format!(
                "snapshot_copy_completion_duration_minutes is {shown}; it must be a whole number of minutes \
                 from 15 to 2880 (48 hours) in steps of 15."
            ),
        );
    }
}

fn check_tags(d: &mut Diagnostics, tags: &Value) {
    let Some(m) = tags.as_map() else { return };
    for (k, v) in m {
        let path = AttributePath::root("tags").key(k.clone());
        if let Err(rule) = validators::tag_key(k) {
            err(d, path.clone(), "Invalid tag key", rule);
        }
        if let Some(Err(rule)) = v.as_str().map(validators::tag_value) {
            err(d, path, "Invalid tag value", format!("tag {k:?}: {rule}"));
        }
    }
}

fn check_timeouts(d: &mut Diagnostics, timeouts: &Value) {
    for op in ["create", "update", "delete"] {
        if let Some(s) = timeouts.get(op).as_str() {
            match validators::go_duration(s) {
                Ok(t) if !t.is_zero() => {}
                _ => err(
                    d,
                    AttributePath::root("timeouts").attr(op),
                    "Invalid timeout",
                    format!("timeouts.{op} {s:?} is not a positive duration like \"40m\", \"1h30m\" or \"90s\"."),
                ),
            }
        }
    }
}

/// A KMS key or alias ARN, the only form of `kms_key_id` CopyImage takes for a copy.
fn is_kms_key_arn(s: &str) -> bool {
    validators::arn(s).is_ok_and(|a| {
        a.service == "kms"
            && !a.region.is_empty()
            && validators::account_id(a.account).is_ok()
            && (a.resource.strip_prefix("key/").is_some_and(|k| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }) || a.resource.strip_prefix("alias/").is_some_and(|n| {
                !n.is_empty()
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
            }))
    })
}

/// An Outpost ARN: `arn:PARTITION:outposts:REGION:ACCOUNT:outpost/op-` and 17 hex digits.
fn is_outpost_arn(s: &str) -> bool {
    validators::arn(s).is_ok_and(|a| {
        a.service == "outposts"
            && !a.region.is_empty()
            && validators::account_id(a.account).is_ok()
            && a.resource.strip_prefix("outpost/op-").is_some_and(|h| {
                h.len() == 17
                    && h.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::PathStep;

    fn cfg(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::Null;
        v.set("name", Value::string("my-copy"));
        v.set("source_ami_id", Value::string("ami-0123abcd"));
        v.set("source_ami_region", Value::string("us-west-1"));
        for (k, x) in pairs {
            v.set(*k, x.clone());
        }
        v
    }

    /// The attribute names the diagnostics point at.
    fn paths(d: &Diagnostics) -> Vec<String> {
        d.0.iter()
            .map(|x| x.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn valid_minimal_config() {
        assert!(validate(&cfg(&[])).is_empty());
    }

    #[test]
    fn valid_full_config() {
        let mut t = Value::Null;
        t.set("create", Value::string("1h30m"));
        t.set("delete", Value::string("90m"));
        let c = cfg(&[
            ("description", Value::string("x".repeat(255))),
            ("deprecation_time", Value::string("2030-01-01T00:00:00Z")),
            (
                "kms_key_id",
                Value::string(
                    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                ),
            ),
            ("encrypted", Value::Bool(true)),
            (
                "snapshot_copy_completion_duration_minutes",
                Value::int(2880),
            ),
            (
                "destination_availability_zone",
                Value::string("us-west-2-lax-1a"),
            ),
            (
                "deregistration_protection",
                Value::string("enabled-with-cooldown"),
            ),
            ("region", Value::string("us-gov-west-1")),
            ("tags", Value::string_map([("Name", "x")])),
            ("timeouts", t),
        ]);
        let d = validate(&cfg(&[]));
        assert!(d.is_empty());
        let d = validate(&c);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn names() {
        for ok in ["abc", "My AMI (v1.2) [x]/y-z'@_", &"a".repeat(128)] {
            assert!(
                validate(&cfg(&[("name", Value::string(ok))])).is_empty(),
                "{ok}"
            );
        }
        for bad in ["ab", "a#b", "name!", "été1", &"a".repeat(129)] {
            let d = validate(&cfg(&[("name", Value::string(bad))]));
            assert_eq!(paths(&d), vec!["name"], "{bad}");
            assert!(d.0[0].detail.contains("3 to 128"), "the rule is stated");
        }
    }

    #[test]
    fn ami_ids() {
        for ok in ["ami-0123abcd", "ami-0123456789abcdef0"] {
            assert!(validate(&cfg(&[("source_ami_id", Value::string(ok))])).is_empty());
        }
        for bad in [
            "ami-123",
            "ami-0123ABCD",
            "snap-0123abcd",
            "ami-0123456789abcdef",
            "ami-0123abcdz",
        ] {
            assert_eq!(
                paths(&validate(&cfg(&[("source_ami_id", Value::string(bad))]))),
                vec!["source_ami_id"],
                "{bad}"
            );
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-northwest-1",
            "us-isob-east-1",
        ] {
            assert!(
                validate(&cfg(&[("source_ami_region", Value::string(ok))])).is_empty(),
                "{ok}"
            );
        }
        for bad in ["us-east", "useast1", "US-EAST-1", "us-east-1a", ""] {
            assert_eq!(
                paths(&validate(&cfg(&[(
                    "source_ami_region",
                    Value::string(bad)
                )]))),
                vec!["source_ami_region"]
            );
            assert_eq!(
                paths(&validate(&cfg(&[("region", Value::string(bad))]))),
                vec!["region"]
            );
        }
    }

    #[test]
    fn description_length() {
        let d = validate(&cfg(&[("description", Value::string("é".repeat(256)))]));
        assert_eq!(paths(&d), vec!["description"]);
        assert!(d.0[0].detail.contains("255"));
    }

    #[test]
    fn deprecation_time() {
        for ok in [
            "2030-01-01T00:00:00Z",
            "2030-01-01T00:00:00.000Z",
            "2030-01-01T02:00:00+02:00",
        ] {
            assert!(
                validate(&cfg(&[("deprecation_time", Value::string(ok))])).is_empty(),
                "{ok}"
            );
        }
        for bad in ["2030-01-01", "tomorrow", "2030-13-01T00:00:00Z"] {
            assert_eq!(
                paths(&validate(&cfg(&[("deprecation_time", Value::string(bad))]))),
                vec!["deprecation_time"]
            );
        }
    }

    #[test]
    fn arns() {
        let enc = ("encrypted", Value::Bool(true));
        let d = validate(&cfg(&[
            enc.clone(),
            (
                "kms_key_id",
                Value::string("1234abcd-12ab-34cd-56ef-1234567890ab"),
            ),
        ]));
        assert_eq!(paths(&d), vec!["kms_key_id"]);
        let key = (
            "kms_key_id",
            Value::string("arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/my-key"),
        );
        assert!(validate(&cfg(&[enc.clone(), key.clone()])).is_empty());
        let d = validate(&cfg(&[key]));
        assert_eq!(paths(&d), vec!["kms_key_id"], "a key without encrypted");
        assert!(d.0[0].detail.contains("encrypted = true"));
        let ok = "arn:aws:outposts:us-west-2:123456789012:outpost/op-0123456789abcdef0";
        assert!(validate(&cfg(&[("destination_outpost_arn", Value::string(ok))])).is_empty());
        let d = validate(&cfg(&[(
            "destination_outpost_arn",
            Value::string("arn:aws:outposts:us-west-2:123:outpost/op-1"),
        )]));
        assert_eq!(paths(&d), vec!["destination_outpost_arn"]);
    }

    #[test]
    fn zone_conflicts_with_outpost() {
        let d = validate(&cfg(&[
            (
                "destination_outpost_arn",
                Value::string(
                    "arn:aws:outposts:us-west-2:123456789012:outpost/op-0123456789abcdef0",
                ),
            ),
            ("destination_availability_zone", Value::Unknown),
        ]));
        assert_eq!(paths(&d), vec!["destination_availability_zone"]);
        assert!(d.0[0]
            .detail
            .contains("conflicts with destination_outpost_arn"));
    }

    #[test]
    fn completion_minutes() {
        for ok in [15, 30, 2880] {
            assert!(validate(&cfg(&[(
                "snapshot_copy_completion_duration_minutes",
                Value::int(ok)
            )]))
            .is_empty());
        }
        for bad in [
            Value::int(0),
            Value::int(14),
            Value::int(20),
            Value::int(2895),
            Value::Number(tfplugin::Number::Float(15.5)),
        ] {
            let d = validate(&cfg(&[("snapshot_copy_completion_duration_minutes", bad)]));
            assert_eq!(paths(&d), vec!["snapshot_copy_completion_duration_minutes"]);
            assert!(d.0[0].detail.contains("steps of 15"));
        }
    }

    #[test]
    fn read_only_attributes_are_named() {
        let d = validate(&cfg(&[
            ("architecture", Value::string("arm64")),
            ("ebs_block_device", Value::List(vec![])),
        ]));
        assert_eq!(paths(&d), vec!["architecture", "ebs_block_device"]);
        assert!(d.0[0]
            .detail
            .contains("\"architecture\" is read-only on a copy"));
        // Unknown is still "set in config".
        let d = validate(&cfg(&[("ena_support", Value::Unknown)]));
        assert_eq!(paths(&d), vec!["ena_support"]);
    }

    #[test]
    fn unknown_values_are_skipped() {
        let d = validate(&cfg(&[
            ("name", Value::Unknown),
            ("source_ami_id", Value::Unknown),
            ("deprecation_time", Value::Unknown),
            ("snapshot_copy_completion_duration_minutes", Value::Unknown),
            ("tags", Value::Unknown),
        ]));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn tags_and_timeouts() {
        let d = validate(&cfg(&[("tags", Value::string_map([("aws:x", "1")]))]));
        assert_eq!(
            d.0[0].path,
            Some(AttributePath(vec![
                PathStep::Attr("tags".into()),
                PathStep::Key("aws:x".into())
            ]))
        );
        let mut t = Value::Null;
        t.set("create", Value::string("40 minutes"));
        t.set("update", Value::Null);
        let d = validate(&cfg(&[("timeouts", t)]));
        assert_eq!(paths(&d), vec!["timeouts.create"]);
        let d = validate(&cfg(&[("deregistration_protection", Value::string("on"))]));
        assert_eq!(paths(&d), vec!["deregistration_protection"]);
    }
}
