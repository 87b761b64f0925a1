//! Static checks of an `aws_ami_copy` configuration: bad input is reported at validate time,
//! naming the attribute and the rule, and never reaches AWS.
//!
//! Pure: no network. The per-attribute checks are declared on the schema's attributes (see
//! `schema.rs`) and run by tfplugin for every configured value; they skip unknown values, which
//! Terraform validates again once they are known. The rules that tie two attributes together
//! are in [`validate`].

use super::model::attr;
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

/// Configured: not null, and not `""`, which modules pass for "not set".
fn is_set(v: &Value) -> bool {
    !v.is_null() && v.as_str() != Some("")
}

/// Values of `deregistration_protection` (see its description in the schema).
pub const DEREG_PROTECTION_VALUES: &[&str] = &["disabled", "enabled", "enabled-with-cooldown"];

/// The rules between attributes. Each attribute's own checks are declared on it in the schema;
/// `check_config` (in the resource's module) runs both.
pub fn cross_attribute_rules(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();

    // EC2 refuses KmsKeyId without Encrypted (InvalidParameterDependency).
    if is_set(config.get(attr::kms_key_id))
        && matches!(
            config.get(attr::encrypted),
            Value::Null | Value::Bool(false)
        )
    {
        d.attr_error(
            AttributePath::root(attr::kms_key_id),
            "kms_key_id needs encrypted",
            "kms_key_id is set but encrypted is not true: EC2 uses a KMS key only for an encrypted copy. \
             Set encrypted = true.",
        );
    }
    // Both set (even if one is still unknown, it will be set): EC2 takes one destination.
    if is_set(config.get(attr::destination_availability_zone))
        && is_set(config.get(attr::destination_outpost_arn))
    {
        d.attr_error(
            AttributePath::root(attr::destination_availability_zone),
            "Conflicting arguments",
            "destination_availability_zone conflicts with destination_outpost_arn: a copy goes to a Local Zone \
             or to an Outpost, not both. Set only one.",
        );
    }
    d
}

/// Set by EC2 on the image, so any configured value (even an unknown one) is an error.
pub fn read_only_on_copy(path: &AttributePath, _: &Value, d: &mut Diagnostics) {
    d.attr_error(
        path.clone(),
        "Read-only attribute",
        format!(
            "\"{path}\" is read-only on a copy: EC2 copies it from the source AMI and it cannot be \
             chosen. Remove \"{path}\" from the configuration; read it as aws_ami_copy.<name>.{path}."
        ),
    );
}

pub fn ami_name(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    let Some(name) = v.as_str() else { return };
    if name_re().is_match(name) {
        return;
    }
    let n = name.chars().count();
    let why = if !(3..=128).contains(&n) {
        match n {
            1 => "it has 1 character".to_string(),
            n => format!("it has {n} characters"),
        }
    } else {
        let bad: String = name
            .chars()
            .filter(|c| !(c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(*c)))
            .collect();
        format!("it contains {bad:?}")
    };
    d.attr_error(
        path.clone(),
        "Invalid AMI name",
        format!(
            "{path} {name:?} is not a valid AMI name ({why}): 3 to 128 characters, only letters, digits, \
             spaces and ( ) [ ] . / - ' @ _."
        ),
    );
}

pub fn ami_id(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if let Some(id) = v.as_str().filter(|id| !ami_id_re().is_match(id)) {
        d.attr_error(
            path.clone(),
            "Invalid AMI ID",
            format!(
                "{path} {id:?} must be \"ami-\" followed by 8 or 17 lowercase hexadecimal digits."
            ),
        );
    }
}

/// The region shape rule of `region` and `source_ami_region`. Checked at plan (see
/// `plan::plan`), not validate: only a configured provider knows whether its block says
/// `skip_region_validation = true`, which turns the rule off as it does for the block's own region.
pub fn region(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if let Some(Err(rule)) = v.as_str().map(validators::region) {
        d.attr_error(
            path.clone(),
            "Invalid region",
            format!(
                "{path}: {rule} (set skip_region_validation = true in the provider block for \
                 other region names)"
            ),
        );
    }
}

pub fn description(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    let n = v.as_str().map(|s| s.chars().count()).unwrap_or_default();
    if n > 255 {
        d.attr_error(
            path.clone(),
            "Description too long",
            format!("{path} has {n} characters; EC2 allows at most 255."),
        );
    }
}

pub fn rfc3339(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if let Some(Err(rule)) = v.as_str().map(validators::rfc3339) {
        d.attr_error(
            path.clone(),
            "Invalid deprecation time",
            format!("{path} {rule}"),
        );
    }
}

pub fn kms_key_arn(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if let Some(k) = v.as_str().filter(|k| !is_kms_key_arn(k)) {
        d.attr_error(
            path.clone(),
            "Invalid KMS key ARN",
            format!(
                "{path} {k:?} must be the full ARN of a KMS key \
                 (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID, or an alias ARN arn:aws:kms:REGION:ACCOUNT:alias/NAME)."
            ),
        );
    }
}

pub fn outpost_arn(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if let Some(a) = v.as_str().filter(|a| !is_outpost_arn(a)) {
        d.attr_error(
            path.clone(),
            "Invalid Outpost ARN",
            format!(
                "{path} {a:?} must be an Outpost ARN \
                 (arn:aws:outposts:REGION:ACCOUNT:outpost/op- followed by 17 hexadecimal digits)."
            ),
        );
    }
}

pub fn zone(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if let Some(z) = v.as_str().filter(|z| !zone_re().is_match(z)) {
        d.attr_error(
            path.clone(),
            "Invalid availability zone",
            format!("{path} {z:?} is not a zone name (like \"us-west-2-lax-1a\")."),
        );
    }
}

pub fn completion_minutes(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if !v.is_known_value() {
        return;
    }
    let ok = matches!(v.as_i64(), Some(m) if (15..=2880).contains(&m) && m % 15 == 0);
    if !ok {
        let shown = match v {
            Value::Number(n) => format!("{}", n.as_f64()),
            other => format!("{other:?}"),
        };
        d.attr_error(
            path.clone(),
            "Invalid completion duration",
            format!(
                "{path} is {shown}; it must be a whole number of minutes \
                 from 15 to 2880 (48 hours) in steps of 15."
            ),
        );
    }
}

pub fn protection(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    if let Some(p) = v.as_str().filter(|p| !DEREG_PROTECTION_VALUES.contains(p)) {
        d.attr_error(
            path.clone(),
            "Invalid deregistration protection",
            format!(
                "{path} {p:?} must be one of \"enabled\", \"enabled-with-cooldown\", \"disabled\"."
            ),
        );
    }
}

pub fn tags(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    for (k, v) in v.as_map().into_iter().flatten() {
        let at = path.clone().key(k.clone());
        if let Err(rule) = validators::tag_key(k) {
            d.attr_error(at.clone(), "Invalid tag key", rule);
        }
        if let Some(Err(rule)) = v.as_str().map(validators::tag_value) {
            d.attr_error(at, "Invalid tag value", format!("tag {k:?}: {rule}"));
        }
    }
}

pub fn timeout(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    let Some(s) = v.as_str() else { return };
    if !matches!(validators::go_duration(s), Ok(t) if !t.is_zero()) {
        d.attr_error(
            path.clone(),
            "Invalid timeout",
            format!("{path} {s:?} is not a positive duration like \"40m\", \"1h30m\" or \"90s\"."),
        );
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

    fn validate(config: &Value) -> Diagnostics {
        crate::resources::ami_copy::check_config(config)
    }

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
        // The same rule as the provider block's region: eusc-de-east-1 is a region here too.
        // Applied at plan (see plan.rs), where skip_region_validation is known; validate lets
        // any region name through.
        let shape = |v: &str| {
            let mut d = Diagnostics::new();
            region(&AttributePath::root("region"), &Value::string(v), &mut d);
            d
        };
        for ok in validators::REGION_EXAMPLES {
            assert!(shape(ok).is_empty(), "{ok}");
        }
        for bad in validators::NOT_REGIONS {
            let d = shape(bad);
            assert_eq!(paths(&d), vec!["region"], "{bad}");
            assert!(d.0[0].detail.contains("skip_region_validation"), "{d:?}");
            assert!(
                validate(&cfg(&[("source_ami_region", Value::string(*bad))])).is_empty(),
                "validate knows nothing of skip_region_validation: {bad}"
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
        let d = validate(&cfg(&[("architecture", Value::string("arm64"))]));
        assert_eq!(paths(&d), vec!["architecture"]);
        assert!(d.0[0]
            .detail
            .contains("\"architecture\" is read-only on a copy"));
        // Unknown is still "set in config".
        let d = validate(&cfg(&[("ena_support", Value::Unknown)]));
        assert_eq!(paths(&d), vec!["ena_support"]);
    }

    #[test]
    fn empty_strings_are_unset() {
        // Module defaults pass "" for "not set": no format error, no "needs encrypted".
        let d = validate(&cfg(&[
            ("kms_key_id", Value::string("")),
            ("destination_outpost_arn", Value::string("")),
            ("destination_availability_zone", Value::string("")),
            ("deprecation_time", Value::string("")),
            ("deregistration_protection", Value::string("")),
        ]));
        assert!(d.is_empty(), "{d:?}");
        let d = validate(&cfg(&[
            ("destination_outpost_arn", Value::string("")),
            (
                "destination_availability_zone",
                Value::string("us-west-2-lax-1a"),
            ),
        ]));
        assert!(d.is_empty(), "{d:?}");
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
