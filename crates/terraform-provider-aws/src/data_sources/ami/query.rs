//! The configuration of `data "aws_ami"` as a DescribeImages query, its static checks, and
//! upstream's guard against an unsafe `most_recent` query. Pure.

use crate::provider::validate::{check_region, parse_go_duration};
use std::time::Duration;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

/// Upstream's default read timeout.
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// What the configuration asks for.
#[derive(Debug, Default, PartialEq)]
pub struct Query {
    pub owners: Vec<String>,
    pub executable_users: Vec<String>,
    /// DescribeImages filters: name → accepted values.
    pub filters: Vec<(String, Vec<String>)>,
    pub include_deprecated: bool,
    pub most_recent: bool,
    pub allow_unsafe_filter: bool,
    pub name_regex: Option<String>,
    /// The region to search; `None` is the provider's.
    pub region: Option<String>,
    pub read_timeout: Duration,
}

impl Query {
    /// From a wholly known configuration that passed `validate`.
    pub fn from_config(config: &Value) -> Query {
        let filters = config
            .get("filter")
            .as_list()
            .unwrap_or_default()
            .iter()
            .filter_map(|f| {
                let name = f.get("name").as_str()?.to_string();
                Some((name, f.get("values").as_string_list()))
            })
            .collect();
        Query {
            owners: config.get("owners").as_string_list(),
            executable_users: config.get("executable_users").as_string_list(),
            filters,
            include_deprecated: config.get("include_deprecated").as_bool() == Some(true),
            most_recent: config.get("most_recent").as_bool() == Some(true),
            allow_unsafe_filter: config.get("allow_unsafe_filter").as_bool() == Some(true),
            name_regex: config
                .get("name_regex")
                .as_str()
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            region: config
                .get("region")
                .as_str()
                .filter(|r| !r.is_empty())
                .map(str::to_string),
            read_timeout: config
                .get("timeouts")
                .get("read")
                .as_str()
                .and_then(|s| parse_go_duration(s).ok())
                .filter(|d| !d.is_zero())
                .unwrap_or(DEFAULT_READ_TIMEOUT),
        }
    }

    /// With `most_recent`, a query filtered neither by owner nor by image id lets anyone who
    /// publishes a newer matching image choose the result. Upstream fails such a query, or
    /// only warns when `allow_unsafe_filter` is set; so does this.
    pub fn unsafe_filter_diagnostic(&self) -> Option<Diagnostic> {
        let filtered = self
            .filters
            .iter()
            .any(|(name, _)| name == "image-id" || name == "owner-id");
        if !self.most_recent || !self.owners.is_empty() || filtered {
            return None;
        }
        let summary = "most_recent without an owner or image id";
        let detail = "With most_recent = true and neither owners nor an owner-id or image-id filter, \
            anyone can publish a newer image that matches, and this data source would return it. Add \
            owners (or one of those filters), or set allow_unsafe_filter = true to accept that risk.";
        Some(if self.allow_unsafe_filter {
            Diagnostic::warning(summary, detail)
        } else {
            Diagnostic::error(summary, detail)
        })
    }
}

/// Static checks (values may be unknown): each names the attribute and the rule.
pub fn validate(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let owners = config.get("owners");
    if owners.as_list().is_some_and(<[Value]>::is_empty) {
        d.attr_error(
            AttributePath::root("owners"),
            "Invalid owners",
            "owners must hold at least one owner when it is set.",
        );
    }
    for (i, o) in owners.as_list().unwrap_or_default().iter().enumerate() {
        if o.as_str().is_some_and(|s| s.trim().is_empty()) || o.is_null() {
            d.attr_error(
                AttributePath::root("owners").index(i as i64),
                "Invalid owners",
                "An owner must not be empty: use an account id, \"self\" or an alias like \"amazon\".",
            );
        }
    }
    if let Some(r) = config.get("name_regex").as_str() {
        if let Err(e) = regex::Regex::new(r) {
            d.attr_error(
                AttributePath::root("name_regex"),
                "Invalid name_regex",
                format!("name_regex {r:?} is not a valid regular expression: {e}"),
            );
        }
    }
    if let Some(r) = config.get("region").as_str() {
        if let Err(e) = check_region(r) {
            d.attr_error(AttributePath::root("region"), "Invalid region", e);
        }
    }
    if let Some(t) = config.get("timeouts").get("read").as_str() {
        if let Err(e) = parse_go_duration(t) {
            d.attr_error(
                AttributePath::root("timeouts").attr("read"),
                "Invalid timeout",
                e,
            );
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    fn filter(name: &str, values: &[&str]) -> Value {
        config(vec![
            ("name", Value::string(name)),
            ("values", strings(values)),
        ])
    }

    #[test]
    fn query_from_configuration() {
        let q = Query::from_config(&config(vec![
            ("owners", strings(&["self", "amazon"])),
            ("executable_users", strings(&["self"])),
            (
                "filter",
                Value::List(vec![
                    filter("name", &["golden-*"]),
                    filter("tag:Team", &["a", "b"]),
                ]),
            ),
            ("most_recent", Value::Bool(true)),
            ("include_deprecated", Value::Bool(true)),
            ("name_regex", Value::string("^golden-\\d+$")),
            ("region", Value::string("eu-west-1")),
            ("timeouts", config(vec![("read", Value::string("90s"))])),
        ]));
        assert_eq!(q.owners, ["self", "amazon"]);
        assert_eq!(q.executable_users, ["self"]);
        assert_eq!(
            q.filters,
            vec![
                ("name".to_string(), vec!["golden-*".to_string()]),
                (
                    "tag:Team".to_string(),
                    vec!["a".to_string(), "b".to_string()]
                ),
            ]
        );
        assert!(q.most_recent && q.include_deprecated && !q.allow_unsafe_filter);
        assert_eq!(q.name_regex.as_deref(), Some("^golden-\\d+$"));
        assert_eq!(q.region.as_deref(), Some("eu-west-1"));
        assert_eq!(q.read_timeout, Duration::from_secs(90));

        let empty = Query::from_config(&config(vec![]));
        assert!(!empty.most_recent && !empty.include_deprecated);
        assert_eq!(empty.region, None);
        assert_eq!(empty.read_timeout, DEFAULT_READ_TIMEOUT);
    }

    fn unsafe_query() -> Query {
        Query {
            most_recent: true,
            filters: vec![("name".into(), vec!["x-*".into()])],
            ..Default::default()
        }
    }

    #[test]
    fn most_recent_without_owner_or_id_filter_is_unsafe() {
        let mut q = unsafe_query();
        let d = q.unsafe_filter_diagnostic().expect("unsafe");
        assert_eq!(d.severity, tfplugin::Severity::Error);
        assert_eq!(d.summary, "most_recent without an owner or image id");
        q.allow_unsafe_filter = true;
        assert_eq!(
            q.unsafe_filter_diagnostic().map(|d| d.severity),
            Some(tfplugin::Severity::Warning)
        );
        for safe in [
            Query {
                owners: vec!["self".into()],
                ..unsafe_query()
            },
            Query {
                filters: vec![("owner-id".into(), vec!["123456789012".into()])],
                ..unsafe_query()
            },
            Query {
                filters: vec![("image-id".into(), vec!["ami-1".into()])],
                ..unsafe_query()
            },
            Query {
                most_recent: false,
                ..unsafe_query()
            },
        ] {
            assert_eq!(safe.unsafe_filter_diagnostic(), None, "{safe:?}");
        }
    }

    #[test]
    fn validation_names_the_attribute() {
        let d = validate(&config(vec![
            ("owners", strings(&["self", " "])),
            ("name_regex", Value::string("golden-(")),
            ("region", Value::string("Mars")),
            ("timeouts", config(vec![("read", Value::string("soon"))])),
        ]));
        let paths: Vec<String> =
            d.0.iter()
                .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
                .collect();
        assert_eq!(
            paths,
            ["owners[1]", "name_regex", "region", "timeouts.read"]
        );
        assert!(validate(&config(vec![("owners", Value::List(vec![]))])).has_errors());
        // Unknown values are checked later, once known.
        assert!(validate(&config(vec![
            ("owners", Value::Unknown),
            ("name_regex", Value::Unknown),
            ("region", Value::Unknown),
        ]))
        .is_empty());
        assert!(validate(&config(vec![
            ("owners", strings(&["self"])),
            ("name_regex", Value::string("^golden-\\d{3}$")),
            ("region", Value::string("us-gov-west-1")),
        ]))
        .is_empty());
    }
}
