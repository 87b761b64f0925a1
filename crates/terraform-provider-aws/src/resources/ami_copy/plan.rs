//! Planning: from Terraform's proposed new state to the planned state and the replace list.
//!
//! tfplugin's plan defaults do what the schema declares (defaults, unknown computed values on
//! create, replace-on-change attributes). This file adds the rules of a copy, all pure and
//! unit-tested:
//! - `region` is the provider's region when unset (and stays the prior one on update);
//! - `tags_all` = default_tags ∪ tags, minus ignored keys, known at plan time;
//! - a `deprecation_time` that rounds to the prior value's UTC minute keeps the prior value (EC2
//!   rounds to the nearest minute, so the two are the same time), and a new one must be in
//!   EC2's window;
//! - a copy left `pending` (interrupted or timed out) plans `state: pending → available`, an
//!   in-place update that resumes waiting; a failed or half-destroyed copy is replaced.

use super::copy_state::{same_deprecation_time, Lifecycle};
use super::model::attr;
use super::schema::schema;
use crate::tags::{merge_default_tags, IgnoreTags, Tags};
use crate::validators;
use tfplugin::plan_defaults::{planned_state, requires_replace};
use tfplugin::{AttributePath, Diagnostics, Value};

/// Provider-level settings a plan depends on.
pub struct PlanEnv<'a> {
    pub provider_region: &'a str,
    pub default_tags: &'a Tags,
    pub ignore_tags: &'a IgnoreTags,
    /// The provider block's `skip_region_validation`: when set, `region` and
    /// `source_ami_region` are not held to the region name shape.
    pub skip_region_validation: bool,
    /// The time the plan is made, for the deprecation time's window.
    pub now: time::OffsetDateTime,
}

#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
}

/// EC2 takes a deprecation time from now to 10 years ahead.
const MAX_DEPRECATION_AHEAD_DAYS: i64 = 10 * 365;

/// Plans a create (prior null) or an update. Destroy (proposed null) is not planned here.
pub fn plan(prior: &Value, proposed: &Value, config: &Value, env: &PlanEnv) -> Plan {
    let block = schema().block;
    let mut planned = planned_state(&block, prior, proposed, config);
    let creating = prior.is_null();

    if config.get(attr::region).is_null() {
        let keep = prior.get(attr::region).as_str().filter(|_| !creating);
        planned.set(
            attr::region,
            Value::string(keep.unwrap_or(env.provider_region)),
        );
    }
    // kms_key_id = "" asks for the account's default key, the key EC2 then reports: the same
    // choice, so the prior value stands (Terraform accepts a prior value for a configured one).
    if config.get(attr::kms_key_id).as_str() == Some("")
        && prior
            .get(attr::kms_key_id)
            .as_str()
            .is_some_and(|k| !k.is_empty())
    {
        planned.set(attr::kms_key_id, prior.get(attr::kms_key_id).clone());
    }
    planned.set(attr::tags_all, planned_tags_all(prior, &planned, env));
    let regions = check_regions(config, env);
    if creating {
        let mut diagnostics = regions;
        diagnostics.extend(check_deprecation_window(prior, &planned, env.now));
        return Plan {
            planned,
            requires_replace: vec![],
            diagnostics,
        };
    }

    keep_same_minute_deprecation(prior, &mut planned);
    let mut diagnostics = regions;
    diagnostics.extend(check_deprecation_window(prior, &planned, env.now));
    let mut replace = requires_replace(&block, &complete_prior(prior, config, env), &planned);
    match prior.get(attr::state).as_str().map(Lifecycle::parse) {
        Some(Lifecycle::Pending) => {
            // Resume waiting. What EC2 fills in while copying is not known until then.
            planned.set(attr::state, Value::string(Lifecycle::Available.as_str()));
            for a in &block.attributes {
                if a.read_only && a.default.is_none() && config.get(&a.name).is_null() {
                    planned.set(a.name.clone(), Value::Unknown);
                }
            }
        }
        Some(state) if state.needs_replacement() => {
            planned.set(attr::state, Value::string(Lifecycle::Available.as_str()));
            replace.push(AttributePath::root(attr::state));
        }
        _ => {}
    }
    Plan {
        planned,
        requires_replace: replace,
        diagnostics,
    }
}

/// The prior state with what it could not record filled in, so that the gap is not mistaken for
/// a change that needs a new copy (it is planned as an in-place update, or not at all): a state written by hashicorp/aws 5.x has no `region` (the
/// copy is in the provider's region); a copy imported from a backend that does not report
/// SourceImageId/SourceImageRegion (stock moto, LocalStack) has no source, and the
/// configuration's is taken for it.
fn complete_prior(prior: &Value, config: &Value, env: &PlanEnv) -> Value {
    let mut prior = prior.clone();
    if prior.is_null() {
        return prior;
    }
    let unrecorded = |v: &Value| v.as_str().is_none_or(str::is_empty);
    if unrecorded(prior.get(attr::region)) {
        prior.set(attr::region, Value::string(env.provider_region));
    }
    for name in [attr::source_ami_id, attr::source_ami_region] {
        if unrecorded(prior.get(name)) && !config.get(name).is_null() {
            prior.set(name, config.get(name).clone());
        }
    }
    prior
}

/// The configured regions against the region name shape, unless the provider block says
/// `skip_region_validation = true` (as its own `region` is).
fn check_regions(config: &Value, env: &PlanEnv) -> Diagnostics {
    let mut d = Diagnostics::new();
    if !env.skip_region_validation {
        for name in [attr::source_ami_region, attr::region] {
            super::validate::region(&AttributePath::root(name), config.get(name), &mut d);
        }
    }
    d
}

/// A new deprecation time EC2 would refuse (in the past, or more than 10 years ahead) is an
/// error now rather than after hours of copying. An unchanged one is not checked again: a
/// deprecation time that has passed since it was set is fine.
fn check_deprecation_window(
    prior: &Value,
    planned: &Value,
    now: time::OffsetDateTime,
) -> Diagnostics {
    let mut d = Diagnostics::new();
    let Some(new) = planned.get(attr::deprecation_time).as_str() else {
        return d;
    };
    if prior.get(attr::deprecation_time).as_str() == Some(new) {
        return d;
    }
    let Some(at) = validators::rfc3339(new).ok() else {
        return d; // validate reports the format
    };
    let path = AttributePath::root(attr::deprecation_time);
    if at < now {
        d.attr_error(
            path,
            "Deprecation time in the past",
            format!("deprecation_time {new:?} is in the past; EC2 only takes a future time."),
        );
    } else if at > now + time::Duration::days(MAX_DEPRECATION_AHEAD_DAYS) {
        d.attr_error(
            path,
            "Deprecation time too far ahead",
            format!(
                "deprecation_time {new:?} is more than 10 years from now, the most EC2 allows."
            ),
        );
    }
    d
}

/// `tags_all` as it will be after apply: unknown when a tag is unknown, or when `copy_tags` adds
/// the source's tags during the create. With `copy_tags`, tags on the copy that Terraform does
/// not manage (copied from the source) are kept, so they are planned as they are.
fn planned_tags_all(prior: &Value, planned: &Value, env: &PlanEnv) -> Value {
    let tags = planned.get(attr::tags);
    let copy_tags = planned.get(attr::copy_tags);
    if tags.contains_unknown() || copy_tags.is_unknown() {
        return Value::Unknown;
    }
    let copying = copy_tags.as_bool() == Some(true);
    if copying && prior.is_null() {
        return Value::Unknown;
    }
    let mut all = merge_default_tags(env.default_tags, &tags.as_string_map(), env.ignore_tags);
    if copying {
        let managed_before = prior.get(attr::tags).as_string_map();
        for (k, v) in prior.get(attr::tags_all).as_string_map() {
            if !all.contains_key(&k)
                && !managed_before.contains_key(&k)
                && !env.ignore_tags.ignores(&k)
            {
                all.insert(k, v);
            }
        }
    }
    Value::string_map(all)
}

fn keep_same_minute_deprecation(prior: &Value, planned: &mut Value) {
    let (Some(old), Some(new)) = (
        prior.get(attr::deprecation_time).as_str(),
        planned.get(attr::deprecation_time).as_str(),
    ) else {
        return;
    };
    if old != new && same_deprecation_time(old, new) {
        let old = old.to_string();
        planned.set(attr::deprecation_time, Value::String(old));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ami_copy::schema::{read_only, schema};

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// An object with every schema attribute null, then `pairs`.
    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::Null;
        for a in &schema().block.attributes {
            v.set(a.name.clone(), Value::Null);
        }
        v.set("timeouts", Value::Null);
        for (k, x) in pairs {
            v.set(*k, x.clone());
        }
        v
    }

    fn config() -> Value {
        obj(&[
            ("name", Value::string("copy")),
            ("source_ami_id", Value::string("ami-0123abcd")),
            ("source_ami_region", Value::string("us-west-1")),
        ])
    }

    /// A state as apply writes it for `config()` in us-east-1.
    fn prior() -> Value {
        let mut p = config();
        for name in read_only() {
            p.set(name, Value::Null);
        }
        for (k, v) in [
            ("id", Value::string("ami-11112222")),
            (
                "arn",
                Value::string("arn:aws:ec2:us-east-1::image/ami-11112222"),
            ),
            ("state", Value::string("available")),
            ("region", Value::string("us-east-1")),
            ("encrypted", Value::Bool(false)),
            ("copy_tags", Value::Bool(false)),
            ("skip_destroy", Value::Bool(false)),
            ("kms_key_id", Value::Null),
            ("manage_ebs_snapshots", Value::Bool(true)),
            ("architecture", Value::string("x86_64")),
            ("tags", Value::string_map(Tags::new())),
            ("tags_all", Value::string_map(Tags::new())),
        ] {
            p.set(k, v);
        }
        // As a stored state holds it: defaults filled in, absent values spelled "".
        crate::resources::ami_copy::schema::normalize_state(&mut p, false);
        p
    }

    /// Terraform's proposed new state: config, with prior values for unset computed attributes.
    fn propose(prior: &Value, config: &Value) -> Value {
        let mut p = config.clone();
        for a in &schema().block.attributes {
            if a.computed && config.get(&a.name).is_null() {
                p.set(a.name.clone(), prior.get(&a.name).clone());
            }
        }
        p
    }

    fn run(prior: &Value, config: &Value, default_tags: &Tags, ignore: &IgnoreTags) -> Plan {
        let env = PlanEnv {
            provider_region: "us-east-1",
            default_tags,
            ignore_tags: ignore,
            skip_region_validation: false,
            now: time::macros::datetime!(2026-01-01 00:00 UTC),
        };
        plan(prior, &propose(prior, config), config, &env)
    }

    #[test]
    fn regions_are_held_to_the_name_shape_unless_the_provider_skips_region_validation() {
        let mut c = config();
        c.set("source_ami_region", Value::string("Not A Region"));
        c.set("region", Value::string("mars_1"));
        let (tags, ignore) = (Tags::new(), IgnoreTags::default());
        let mut env = PlanEnv {
            provider_region: "us-east-1",
            default_tags: &tags,
            ignore_tags: &ignore,
            skip_region_validation: false,
            now: time::macros::datetime!(2026-01-01 00:00 UTC),
        };
        for prior in [Value::Null, run0(&Value::Null, &config()).planned] {
            let p = plan(&prior, &propose(&prior, &c), &c, &env);
            let mut at: Vec<String> = p
                .diagnostics
                .0
                .iter()
                .filter_map(|d| d.path.as_ref().map(|x| x.to_string()))
                .collect();
            at.sort();
            assert_eq!(at, ["region", "source_ami_region"], "{:?}", p.diagnostics);
        }
        env.skip_region_validation = true;
        let p = plan(&Value::Null, &propose(&Value::Null, &c), &c, &env);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.planned.get("region"), &Value::string("mars_1"));
    }

    fn run0(prior: &Value, config: &Value) -> Plan {
        run(prior, config, &Tags::new(), &IgnoreTags::default())
    }

    fn replaced(p: &Plan) -> Vec<String> {
        p.requires_replace.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn create_defaults_and_unknowns() {
        let p = run0(&Value::Null, &config());
        let v = &p.planned;
        assert_eq!(v.get("encrypted"), &Value::Bool(false));
        assert_eq!(v.get("copy_tags"), &Value::Bool(false));
        assert_eq!(v.get("skip_destroy"), &Value::Bool(false));
        assert_eq!(v.get("region"), &Value::string("us-east-1"));
        for name in [
            "id",
            "arn",
            "state",
            "architecture",
            "root_snapshot_id",
            "kms_key_id",
        ] {
            assert!(v.get(name).is_unknown(), "{name}");
        }
        // A computed block: one placeholder element, its attributes known after apply.
        let ebs = v.get("ebs_block_device").as_list().expect("a list");
        assert_eq!(ebs.len(), 1);
        assert!(ebs[0].get("snapshot_id").is_unknown());
        // Unset optional strings are "", as the Go provider stores them.
        assert_eq!(v.get("deprecation_time"), &Value::string(""));
        assert_eq!(v.get("manage_ebs_snapshots"), &Value::Bool(true));
        assert_eq!(v.get("tags"), &Value::string_map(Tags::new()));
        assert_eq!(v.get("tags_all"), &Value::string_map(Tags::new()));
        assert_eq!(v.get("description"), &Value::string(""));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn create_keeps_configured_values() {
        let mut c = config();
        c.set("region", Value::string("eu-west-1"));
        c.set("encrypted", Value::Bool(true));
        c.set(
            "kms_key_id",
            Value::string("arn:aws:kms:eu-west-1:123456789012:key/k"),
        );
        let p = run0(&Value::Null, &c);
        assert_eq!(p.planned.get("region"), &Value::string("eu-west-1"));
        assert_eq!(p.planned.get("encrypted"), &Value::Bool(true));
        assert_eq!(p.planned.get("kms_key_id"), c.get("kms_key_id"));
    }

    #[test]
    fn tags_all_merges_default_tags_minus_ignored() {
        let mut c = config();
        c.set("tags", Value::string_map([("Name", "n"), ("Team", "b")]));
        let defaults = tags(&[("Team", "a"), ("Env", "prod"), ("Skip", "x")]);
        let ignore = IgnoreTags {
            keys: vec!["Skip".into()],
            key_prefixes: vec![],
        };
        let p = run(&Value::Null, &c, &defaults, &ignore);
        assert_eq!(
            p.planned.get("tags_all"),
            &Value::string_map([("Env", "prod"), ("Name", "n"), ("Team", "b")])
        );
        c.set(
            "tags",
            Value::Map([("Name".to_string(), Value::Unknown)].into()),
        );
        assert!(run0(&Value::Null, &c).planned.get("tags_all").is_unknown());
    }

    #[test]
    fn unchanged_update_is_clean() {
        let p = run0(&prior(), &config());
        assert_eq!(p.planned, prior());
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn replace_on_change_attributes() {
        for (name, value) in [
            ("name", Value::string("other")),
            ("source_ami_id", Value::string("ami-0123abce")),
            ("source_ami_region", Value::string("us-west-2")),
            (
                "destination_outpost_arn",
                Value::string(
                    "arn:aws:outposts:us-east-1:123456789012:outpost/op-0123456789abcdef0",
                ),
            ),
            ("encrypted", Value::Bool(true)),
            (
                "kms_key_id",
                Value::string("arn:aws:kms:us-east-1:123456789012:key/k"),
            ),
            ("region", Value::string("us-west-2")),
            ("copy_tags", Value::Bool(true)),
            ("snapshot_copy_completion_duration_minutes", Value::int(15)),
            (
                "destination_availability_zone",
                Value::string("us-east-1-bos-1a"),
            ),
            ("name", Value::Unknown),
        ] {
            let mut c = config();
            c.set(name, value);
            assert_eq!(
                replaced(&run0(&prior(), &c)),
                vec![name.to_string()],
                "{name}"
            );
        }
    }

    #[test]
    fn in_place_changes_do_not_replace() {
        let mut c = config();
        c.set("description", Value::string("d2"));
        c.set("tags", Value::string_map([("a", "1")]));
        c.set("deprecation_time", Value::string("2030-01-01T00:00:00Z"));
        c.set("deregistration_protection", Value::string("enabled"));
        c.set("skip_destroy", Value::Bool(true));
        let p = run0(&prior(), &c);
        assert!(p.requires_replace.is_empty(), "{:?}", p.requires_replace);
        assert_eq!(p.planned.get("description"), &Value::string("d2"));
        assert_eq!(p.planned.get("tags_all"), &Value::string_map([("a", "1")]));
        assert_eq!(
            p.planned.get("architecture"),
            &Value::string("x86_64"),
            "computed values stay known"
        );
    }

    #[test]
    fn no_tags_and_empty_tags_are_the_same() {
        let empty = Value::string_map(Tags::new());
        for tags in [Value::Null, empty.clone()] {
            let mut c = config();
            c.set("tags", tags.clone());
            let p = run0(&prior(), &c);
            assert_eq!(p.planned, prior(), "{tags:?}");
            assert_eq!(run0(&Value::Null, &c).planned.get("tags"), &empty);
        }
        // Removing the argument plans the removal of the tags, default tags staying.
        let mut old = prior();
        old.set("tags", Value::string_map([("a", "1")]));
        old.set("tags_all", Value::string_map([("a", "1"), ("Env", "x")]));
        let defaults = tags(&[("Env", "x")]);
        let p = run(&old, &config(), &defaults, &IgnoreTags::default());
        assert_eq!(p.planned.get("tags"), &empty);
        assert_eq!(
            p.planned.get("tags_all"),
            &Value::string_map([("Env", "x")])
        );
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn go_provider_state_without_new_booleans_plans_clean() {
        let mut old = prior();
        old.set("copy_tags", Value::Null);
        old.set("skip_destroy", Value::Null);
        let p = run0(&old, &config());
        assert!(p.requires_replace.is_empty());
        // Planned false against a null: upgrade_state fills the null, so the state agrees.
        assert_eq!(p.planned.get("skip_destroy"), &Value::Bool(false));
    }

    #[test]
    fn removing_encrypted_plans_the_default_and_replaces() {
        let mut old = prior();
        old.set("encrypted", Value::Bool(true));
        assert_eq!(replaced(&run0(&old, &config())), vec!["encrypted"]);
    }

    #[test]
    fn region_defaults_to_prior_then_provider() {
        let mut old = prior();
        old.set("region", Value::string("eu-west-1"));
        let p = run0(&old, &config());
        assert_eq!(p.planned.get("region"), &Value::string("eu-west-1"));
        assert!(p.requires_replace.is_empty());
    }

    #[test]
    fn deprecation_time_same_minute_keeps_prior() {
        let mut old = prior();
        old.set(
            "deprecation_time",
            Value::string("2030-01-01T10:20:00.000Z"),
        );
        let mut c = config();
        c.set(
            "deprecation_time",
            Value::string("2030-01-01T12:20:29.999+02:00"),
        );
        let p = run0(&old, &c);
        assert_eq!(p.planned, old, "no diff when rounding to the same minute");
        c.set("deprecation_time", Value::string("2030-01-01T10:21:00Z"));
        assert_eq!(
            run0(&old, &c).planned.get("deprecation_time"),
            &Value::string("2030-01-01T10:21:00Z")
        );
        c.set("deprecation_time", Value::Null);
        assert_eq!(
            run0(&old, &c).planned.get("deprecation_time"),
            &Value::string(""),
            "removal plans the removal (\"\", the Go provider's spelling of unset)"
        );
    }

    #[test]
    fn deprecation_window_is_checked_when_set_or_changed() {
        let mut c = config();
        c.set("deprecation_time", Value::string("2025-12-31T23:59:00Z"));
        let p = run0(&Value::Null, &c);
        assert_eq!(p.diagnostics.0.len(), 1);
        assert_eq!(
            p.diagnostics.0[0].path,
            Some(AttributePath::root("deprecation_time"))
        );
        c.set("deprecation_time", Value::string("2036-01-03T00:00:00Z"));
        assert!(
            run0(&Value::Null, &c).diagnostics.has_errors(),
            "more than 10 years"
        );
        c.set("deprecation_time", Value::string("2030-01-01T00:00:00Z"));
        assert!(run0(&Value::Null, &c).diagnostics.is_empty());
        // Set long ago and now in the past: unchanged, so fine.
        let mut old = prior();
        old.set("deprecation_time", Value::string("2025-01-01T00:00:00Z"));
        c.set("deprecation_time", Value::string("2025-01-01T00:00:00Z"));
        assert!(run0(&old, &c).diagnostics.is_empty());
        c.set("deprecation_time", Value::string("2025-01-01T00:00:29Z"));
        assert!(
            run0(&old, &c).diagnostics.is_empty(),
            "same minute is unchanged"
        );
        c.set("deprecation_time", Value::string("2025-02-01T00:00:00Z"));
        assert!(run0(&old, &c).diagnostics.has_errors());
    }

    #[test]
    fn pending_copy_resumes_in_place() {
        let mut old = prior();
        old.set("state", Value::string("pending"));
        let p = run0(&old, &config());
        assert!(p.requires_replace.is_empty());
        assert_eq!(p.planned.get("state"), &Value::string("available"));
        assert!(p.planned.get("architecture").is_unknown());
        // The mappings are fixed when the copy starts: planned as recorded.
        assert_eq!(
            p.planned.get("ebs_block_device"),
            old.get("ebs_block_device")
        );
        assert_eq!(p.planned.get("id"), old.get("id"));
        assert_eq!(p.planned.get("manage_ebs_snapshots"), &Value::Bool(true));
    }

    #[test]
    fn failed_copy_is_replaced() {
        let mut old = prior();
        old.set("state", Value::string("failed"));
        assert_eq!(replaced(&run0(&old, &config())), vec!["state"]);
    }

    #[test]
    fn half_destroyed_copy_is_replaced() {
        let mut old = prior();
        old.set("state", Value::string(Lifecycle::Deregistered.as_str()));
        assert_eq!(replaced(&run0(&old, &config())), vec!["state"]);
    }

    #[test]
    fn copy_tags_keeps_unmanaged_tags() {
        let mut c = config();
        c.set("copy_tags", Value::Bool(true));
        assert!(run0(&Value::Null, &c).planned.get("tags_all").is_unknown());
        c.set("tags", Value::string_map([("Name", "n")]));
        let mut old = prior();
        old.set("copy_tags", Value::Bool(true));
        old.set("tags", Value::string_map([("Name", "n"), ("Gone", "g")]));
        old.set(
            "tags_all",
            Value::string_map([("Name", "n"), ("Gone", "g"), ("FromSource", "s")]),
        );
        let p = run0(&old, &c);
        assert_eq!(
            p.planned.get("tags_all"),
            &Value::string_map([("Name", "n"), ("FromSource", "s")])
        );
    }

    #[test]
    fn deprecation_time_rounding_to_the_same_minute_keeps_prior() {
        let mut old = prior();
        old.set("deprecation_time", Value::string("2030-01-01T10:00:45Z"));
        let mut c = config();
        c.set("deprecation_time", Value::string("2030-01-01T10:01:10Z"));
        assert_eq!(run0(&old, &c).planned, old, "both are 10:01 to EC2");
        c.set("deprecation_time", Value::string("2030-01-01T10:00:10Z"));
        assert_eq!(run0(&old, &c).planned, old, "the same UTC minute");
        c.set("deprecation_time", Value::string("2030-01-01T10:01:31Z"));
        assert_eq!(
            run0(&old, &c).planned.get("deprecation_time"),
            &Value::string("2030-01-01T10:01:31Z"),
            "another minute, and 10:02 rather than 10:01 to EC2"
        );
    }
}
