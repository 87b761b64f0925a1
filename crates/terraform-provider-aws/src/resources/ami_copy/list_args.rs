//! The arguments of `list "aws_ami_copy"` (the `config { ... }` block of a `.tfquery.hcl` file):
//! their schema and rules, checked before any AWS call, and what they ask EC2 for.
//!
//! The owner is always `self`: only this account's images are copies it may manage. Name,
//! tags and `filter` blocks go to EC2 as DescribeImages filters. The source is matched here,
//! on each page: backends that do not report an image's source (stock moto, and so LocalStack)
//! do not implement the `source-image-*` filters either, and answer them with an error.

use super::validate as check;
use aws_sdk_ec2::types::{Filter, Image};
use tfplugin::{
    Attribute, AttributePath, Block, Diagnostics, NestedBlock, Nesting, Schema, Type, Value,
};

/// The argument names.
pub mod arg {
    pub const REGION: &str = "region";
    pub const REGIONS: &str = "regions";
    pub const SOURCE_AMI_ID: &str = "source_ami_id";
    pub const SOURCE_AMI_REGION: &str = "source_ami_region";
    pub const NAME: &str = "name";
    pub const TAGS: &str = "tags";
    pub const FILTER: &str = "filter";
    /// In a `filter` block.
    pub const FILTER_NAME: &str = "name";
    pub const FILTER_VALUES: &str = "values";
}

/// EC2 filters that would look beyond this account's images: the owner is always `self`.
const OWNER_FILTERS: &[&str] = &["owner-id", "owner-alias"];

pub fn schema() -> Schema {
    let s = Type::String;
    let filter = Block::new(
        "An EC2 DescribeImages filter, sent as it is (see the EC2 API reference for the names).",
    )
    .attr(Attribute::required(
        arg::FILTER_NAME,
        s.clone(),
        "Filter name, e.g. `architecture` or `tag-key`.",
    ))
    .attr(Attribute::required(
        arg::FILTER_VALUES,
        Type::list(s.clone()),
        "Values; an image matches if it matches any of them (`*` and `?` are wildcards).",
    ));
    Schema {
        version: 0,
        block: Block::new("Selects this account's AMI copies to list. Every argument narrows the list; with none, every image the account owns in the provider's region is listed.")
            .attr(Attribute::optional(arg::REGION, s.clone(), "Region to list; defaults to the provider's. Conflicts with `regions`."))
            .attr(Attribute::optional(arg::REGIONS, Type::set(s.clone()), "Several regions to list, one after the other. Conflicts with `region`.").validate(regions))
            .attr(Attribute::optional(arg::SOURCE_AMI_ID, s.clone(), "Only copies of this AMI.").validate(check::ami_id))
            .attr(Attribute::optional(arg::SOURCE_AMI_REGION, s.clone(), "Only copies of an AMI in this region."))
            .attr(Attribute::optional(arg::NAME, s.clone(), "Only copies whose name matches this pattern: `*` matches any characters, `?` one.").validate(name_pattern))
            .attr(Attribute::optional(arg::TAGS, Type::map(s), "Only copies carrying all these tags with these values.").validate(tags))
            .block(NestedBlock::new(arg::FILTER, Nesting::List, filter)),
    }
}

/// Every rule: the declared validators, then those between arguments and inside `filter` blocks.
pub fn validate(config: &Value) -> Diagnostics {
    let mut d = tfplugin::config_checks::validate(&schema().block, config);
    if config.get(arg::REGION).is_known_value() && config.get(arg::REGIONS).is_known_value() {
        d.attr_error(
            AttributePath::root(arg::REGIONS),
            "Conflicting list arguments",
            "Set region for one region or regions for several, not both.",
        );
    }
    for (i, f) in config
        .get(arg::FILTER)
        .as_list()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = AttributePath::root(arg::FILTER).index(i as i64);
        let name = f.get(arg::FILTER_NAME);
        if let Some(n) = name.as_str() {
            if n.trim().is_empty() {
                d.attr_error(
                    at.clone().attr(arg::FILTER_NAME),
                    "Invalid filter",
                    "filter.name must not be empty.",
                );
            } else if OWNER_FILTERS.contains(&n) {
                d.attr_error(
                    at.clone().attr(arg::FILTER_NAME),
                    "Invalid filter",
                    format!("filter {n:?} is not allowed: the list only shows this account's own images (owner self)."),
                );
            }
        }
        if f.get(arg::FILTER_VALUES)
            .as_list()
            .is_some_and(<[Value]>::is_empty)
        {
            d.attr_error(
                at.attr(arg::FILTER_VALUES),
                "Invalid filter",
                format!(
                    "filter {:?} has no values: give at least one.",
                    name.as_str().unwrap_or_default()
                ),
            );
        }
    }
    d
}

fn regions(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    let Some(items) = v.as_list() else { return };
    if items.is_empty() {
        d.attr_error(
            path.clone(),
            "Invalid regions",
            "regions must name at least one region.",
        );
    }
}

/// The shape of every region argument, checked when the list runs: the provider block's
/// `skip_region_validation` (unknown at validation) turns it off, as it does for the resource.
pub fn check_regions(config: &Value, skip_region_validation: bool) -> Diagnostics {
    let mut d = Diagnostics::new();
    if skip_region_validation {
        return d;
    }
    for a in [arg::REGION, arg::SOURCE_AMI_REGION] {
        check::region(&AttributePath::root(a), config.get(a), &mut d);
    }
    for r in config.get(arg::REGIONS).as_list().unwrap_or_default() {
        check::region(&AttributePath::root(arg::REGIONS), r, &mut d);
    }
    d
}

/// The resource's tag rules, in words that name this argument.
fn tags(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    let mut found = Diagnostics::new();
    check::tags(path, v, &mut found);
    for mut e in found.0 {
        e.detail = format!("{path}: {}", e.detail);
        d.push(e);
    }
}

/// The characters of an AMI name, and the two wildcards.
fn name_pattern(path: &AttributePath, v: &Value, d: &mut Diagnostics) {
    let Some(p) = v.as_str() else { return };
    let bad: String = p
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || "()[] ./-'@_*?".contains(*c)))
        .collect();
    let why = if p.is_empty() {
        "it is empty".to_string()
    } else if p.chars().count() > 128 {
        "it is longer than 128 characters".to_string()
    } else if !bad.is_empty() {
        format!("it contains {bad:?}")
    } else {
        return;
    };
    d.attr_error(
        path.clone(),
        "Invalid name pattern",
        format!(
            "{path} {p:?} cannot match an AMI name ({why}): names have 3 to 128 letters, digits, \
             spaces and ( ) [ ] . / - ' @ _; the pattern may add * and ?."
        ),
    );
}

/// A validated `config` block as the listing uses it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// In order; the provider's region when the configuration names none.
    pub regions: Vec<String>,
    pub source_ami_id: Option<String>,
    pub source_ami_region: Option<String>,
    /// Sent with every DescribeImages: name pattern, tags, the `filter` blocks.
    pub filters: Vec<(String, Vec<String>)>,
}

/// Whether an image is a copy of the source the query asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceMatch {
    Yes,
    No,
    /// The query names a source and the backend does not report this image's.
    Unknown,
}

impl Query {
    pub fn of(config: &Value, provider_region: &str) -> Query {
        let text = |name| config.get(name).as_str().map(str::to_string);
        let mut regions = config.get(arg::REGIONS).as_string_list();
        regions.sort();
        regions.dedup();
        if regions.is_empty() {
            regions.push(text(arg::REGION).unwrap_or_else(|| provider_region.to_string()));
        }
        let mut filters = Vec::new();
        if let Some(n) = text(arg::NAME) {
            filters.push(("name".to_string(), vec![n]));
        }
        for (k, v) in config.get(arg::TAGS).as_string_map() {
            filters.push((format!("tag:{k}"), vec![v]));
        }
        for f in config.get(arg::FILTER).as_list().unwrap_or_default() {
            if let Some(name) = f.get(arg::FILTER_NAME).as_str() {
                filters.push((name.to_string(), f.get(arg::FILTER_VALUES).as_string_list()));
            }
        }
        Query {
            regions,
            source_ami_id: text(arg::SOURCE_AMI_ID),
            source_ami_region: text(arg::SOURCE_AMI_REGION),
            filters,
        }
    }

    pub fn ec2_filters(&self) -> Vec<Filter> {
        self.filters
            .iter()
            .map(|(name, values)| {
                Filter::builder()
                    .name(name)
                    .set_values(Some(values.clone()))
                    .build()
            })
            .collect()
    }

    /// Whether `image` matches the query's source arguments (EC2 has filtered the rest).
    pub fn source_of(&self, image: &Image) -> SourceMatch {
        let wanted = [
            (self.source_ami_id.as_deref(), image.source_image_id()),
            (
                self.source_ami_region.as_deref(),
                image.source_image_region(),
            ),
        ];
        let mut result = SourceMatch::Yes;
        for (want, have) in wanted {
            match (want, have.filter(|h| !h.is_empty())) {
                (None, _) => {}
                (Some(w), Some(h)) if w == h => {}
                (Some(_), Some(_)) => return SourceMatch::No,
                (Some(_), None) => result = SourceMatch::Unknown,
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut v = schema().block.null_value();
        for (k, x) in pairs {
            v.set(*k, x.clone());
        }
        v
    }

    fn filter(name: &str, values: &[&str]) -> Value {
        let mut f = Value::Null;
        f.set(arg::FILTER_NAME, Value::string(name));
        f.set(
            arg::FILTER_VALUES,
            Value::List(values.iter().map(|v| Value::string(*v)).collect()),
        );
        f
    }

    /// Region shapes are checked when the list runs, unless skip_region_validation.
    #[test]
    fn region_shapes_are_checked_unless_skipped() {
        let cases: Vec<(Value, &str)> = vec![
            (config(&[(arg::REGION, Value::string("Mars"))]), "region"),
            (
                config(&[(arg::REGIONS, Value::List(vec![Value::string("x")]))]),
                "regions",
            ),
            (
                config(&[(arg::SOURCE_AMI_REGION, Value::string("nowhere"))]),
                "source_ami_region",
            ),
        ];
        for (c, at) in cases {
            assert!(validate(&c).0.is_empty(), "{at}: not at validate");
            let d = check_regions(&c, false);
            assert_eq!(d.0.len(), 1, "{at}: {d:?}");
            assert_eq!(
                d.0[0].path.as_ref().map(|p| p.to_string()).as_deref(),
                Some(at),
                "{d:?}"
            );
            assert!(check_regions(&c, true).0.is_empty(), "{at}: skipped");
        }
    }

    /// Each bad argument: one error, pointing at that argument.
    #[test]
    fn each_bad_argument_is_named() {
        let cases: Vec<(Value, &str)> = vec![
            (config(&[(arg::REGIONS, Value::List(vec![]))]), "regions"),
            (
                config(&[
                    (arg::REGION, Value::string("us-east-1")),
                    (arg::REGIONS, Value::List(vec![Value::string("us-east-1")])),
                ]),
                "regions",
            ),
            (
                config(&[(arg::SOURCE_AMI_ID, Value::string("ami-xyz"))]),
                "source_ami_id",
            ),
            (config(&[(arg::NAME, Value::string(""))]), "name"),
            (config(&[(arg::NAME, Value::string("a{b}"))]), "name"),
            (
                config(&[(arg::TAGS, Value::string_map([("aws:x", "1")]))]),
                "tags[\"aws:x\"]",
            ),
            (
                config(&[(arg::FILTER, Value::List(vec![filter(" ", &["x"])]))]),
                "filter[0].name",
            ),
            (
                config(&[(arg::FILTER, Value::List(vec![filter("owner-id", &["1"])]))]),
                "filter[0].name",
            ),
            (
                config(&[(arg::FILTER, Value::List(vec![filter("state", &[])]))]),
                "filter[0].values",
            ),
        ];
        for (c, at) in cases {
            let d = validate(&c);
            assert_eq!(d.0.len(), 1, "{at}: {d:?}");
            assert_eq!(
                d.0[0].path.as_ref().map(|p| p.to_string()).as_deref(),
                Some(at),
                "{d:?}"
            );
        }
        let good = config(&[
            (
                arg::REGIONS,
                Value::List(vec![Value::string("us-east-1"), Value::string("eu-west-1")]),
            ),
            (arg::SOURCE_AMI_ID, Value::string("ami-0123456789abcdef0")),
            (arg::NAME, Value::string("app-??-*")),
            (arg::TAGS, Value::string_map([("Team", "web")])),
            (
                arg::FILTER,
                Value::List(vec![filter("architecture", &["x86_64"])]),
            ),
        ]);
        assert!(validate(&good).is_empty(), "{:?}", validate(&good));
        // Unknown values (terraform validate) are not judged.
        assert!(validate(&config(&[(arg::REGION, Value::Unknown)])).is_empty());
    }

    #[test]
    fn a_query_and_its_filters() {
        let q = Query::of(&config(&[]), "us-east-1");
        assert_eq!(q.regions, ["us-east-1"]);
        assert!(q.filters.is_empty());
        let q = Query::of(
            &config(&[
                (
                    arg::REGIONS,
                    Value::List(vec![Value::string("us-west-2"), Value::string("eu-west-1")]),
                ),
                (arg::NAME, Value::string("app-*")),
                (arg::TAGS, Value::string_map([("Team", "web")])),
                (
                    arg::FILTER,
                    Value::List(vec![filter("architecture", &["x86_64", "arm64"])]),
                ),
            ]),
            "us-east-1",
        );
        assert_eq!(q.regions, ["eu-west-1", "us-west-2"]);
        assert_eq!(
            q.filters,
            [
                ("name".to_string(), vec!["app-*".to_string()]),
                ("tag:Team".to_string(), vec!["web".to_string()]),
                (
                    "architecture".to_string(),
                    vec!["x86_64".to_string(), "arm64".to_string()]
                ),
            ]
        );
        assert_eq!(
            Query::of(&config(&[(arg::REGION, Value::string("eu-west-1"))]), "x").regions,
            ["eu-west-1"]
        );
    }

    #[test]
    fn sources_match_here_and_unreported_ones_are_unknown() {
        let q = Query {
            source_ami_id: Some("ami-11111111".into()),
            source_ami_region: Some("us-west-1".into()),
            ..Default::default()
        };
        let image = |id: Option<&str>, region: Option<&str>| {
            Image::builder()
                .set_source_image_id(id.map(Into::into))
                .set_source_image_region(region.map(Into::into))
                .build()
        };
        assert_eq!(
            q.source_of(&image(Some("ami-11111111"), Some("us-west-1"))),
            SourceMatch::Yes
        );
        assert_eq!(
            q.source_of(&image(Some("ami-22222222"), Some("us-west-1"))),
            SourceMatch::No
        );
        assert_eq!(
            q.source_of(&image(Some("ami-11111111"), Some("eu-west-1"))),
            SourceMatch::No
        );
        assert_eq!(q.source_of(&image(None, None)), SourceMatch::Unknown);
        assert_eq!(
            Query::default().source_of(&image(None, None)),
            SourceMatch::Yes
        );
    }
}
