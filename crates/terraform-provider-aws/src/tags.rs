//! Tag logic shared by every resource: `default_tags` merging, `ignore_tags` filtering and the
//! minimal set of tag calls between two states.
//!
//! Vocabulary (as in the Go provider): `tags` is what the user wrote on the resource;
//! `tags_all` is `default_tags` ∪ `tags` (resource wins) — the tags the object should carry,
//! minus the keys Terraform is told to ignore. Keys starting with `aws:` belong to AWS: they are
//! never reported, never set and never deleted.

use std::collections::BTreeMap;

/// A tag set: key → value.
pub type Tags = BTreeMap<String, String>;

/// The prefix of the keys AWS reserves for itself; users cannot create or delete them.
const AWS_RESERVED_PREFIX: &str = "aws:";

/// True for keys AWS reserves (`aws:cloudformation:stack-name`, ...).
pub fn is_aws_reserved(key: &str) -> bool {
    key.starts_with(AWS_RESERVED_PREFIX)
}

/// `ignore_tags { keys, key_prefixes }`: tags Terraform neither reports nor manages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IgnoreTags {
    pub keys: Vec<String>,
    pub key_prefixes: Vec<String>,
}

impl IgnoreTags {
    /// True when `key` must be left out of `tags`/`tags_all` and of every tag call:
    /// listed in `keys`, starting with one of `key_prefixes`, or reserved by AWS.
    pub fn ignores(&self, key: &str) -> bool {
        is_aws_reserved(key)
            || self.keys.iter().any(|k| k == key)
            || self
                .key_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()))
    }

    /// `tags` without the ignored keys.
    pub fn filter(&self, tags: &Tags) -> Tags {
        tags.iter()
            .filter(|(k, _)| !self.ignores(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// The planned `tags_all`: `default_tags` overlaid by the resource's `tags` (the resource wins),
/// without ignored keys.
pub fn merge_default_tags(default_tags: &Tags, resource_tags: &Tags, ignore: &IgnoreTags) -> Tags {
    let mut all = default_tags.clone();
    all.extend(resource_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    ignore.filter(&all)
}

/// What a refresh stores for the tags an object carries in AWS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteTags {
    /// The tags attributable to the resource block (see [`tags_from_remote`]).
    pub tags: Tags,
    /// Every tag the object carries except ignored and `aws:` keys.
    pub tags_all: Tags,
}

/// Splits the tags read from AWS into `tags` and `tags_all`.
///
/// `tags` is `tags_all` minus the entries that come from `default_tags` (same key and value), so
/// a tag added outside Terraform shows up as drift in `tags`. A key the resource configures
/// itself (`configured`, the `tags` known from config or prior state; `None` on import) stays in
/// `tags` even when a default tag has the same value, otherwise such a configuration would never
/// plan clean.
pub fn tags_from_remote(
    remote: &Tags,
    default_tags: &Tags,
    ignore: &IgnoreTags,
    configured: Option<&Tags>,
) -> RemoteTags {
    let tags_all = ignore.filter(remote);
    let tags = tags_all
        .iter()
        .filter(|(k, v)| {
            let from_default = default_tags.get(*k) == Some(*v);
            let configured_here = configured.is_some_and(|c| c.contains_key(*k));
            !from_default || configured_here
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    RemoteTags { tags, tags_all }
}

/// The tag calls that turn `old` into `new` (both `tags_all`): DeleteTags for `to_delete`,
/// CreateTags for `to_set`. Unchanged keys are not touched; `aws:` keys never appear.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagDiff {
    pub to_delete: Vec<String>,
    pub to_set: Tags,
}

impl TagDiff {
    pub fn between(old: &Tags, new: &Tags) -> TagDiff {
        let to_delete = old
            .keys()
            .filter(|k| !is_aws_reserved(k) && !new.contains_key(*k))
            .cloned()
            .collect();
        let to_set = new
            .iter()
            .filter(|(k, v)| !is_aws_reserved(k) && old.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        TagDiff { to_delete, to_set }
    }

    pub fn is_empty(&self) -> bool {
        self.to_delete.is_empty() && self.to_set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn ignore(keys: &[&str], prefixes: &[&str]) -> IgnoreTags {
        IgnoreTags {
            keys: keys.iter().map(|s| s.to_string()).collect(),
            key_prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn ignores_keys_prefixes_and_aws_reserved() {
        let ig = ignore(&["Owner"], &["kubernetes.io/"]);
        assert!(ig.ignores("Owner"));
        assert!(
            !ig.ignores("owner"),
            "keys are case-sensitive like EC2 tags"
        );
        assert!(ig.ignores("kubernetes.io/cluster/x"));
        assert!(ig.ignores("aws:cloudformation:stack-name"));
        assert!(!ig.ignores("Name"));
        assert!(IgnoreTags::default().ignores("aws:createdBy"));
        assert!(!IgnoreTags::default().ignores("Name"));
    }

    #[test]
    fn merge_resource_wins_and_ignored_dropped() {
        let all = merge_default_tags(
            &tags(&[("Env", "prod"), ("Team", "a"), ("Skip", "x")]),
            &tags(&[("Team", "b"), ("Name", "n")]),
            &ignore(&["Skip"], &[]),
        );
        assert_eq!(all, tags(&[("Env", "prod"), ("Name", "n"), ("Team", "b")]));
    }

    #[test]
    fn merge_of_nothing_is_empty() {
        assert!(merge_default_tags(&Tags::new(), &Tags::new(), &IgnoreTags::default()).is_empty());
    }

    #[test]
    fn remote_split_removes_default_entries_but_keeps_drift() {
        let remote = tags(&[
            ("Env", "prod"),
            ("Name", "n"),
            ("Manual", "m"),
            ("aws:backup", "y"),
            ("Ignored", "i"),
        ]);
        let r = tags_from_remote(
            &remote,
            &tags(&[("Env", "prod")]),
            &ignore(&["Ignored"], &[]),
            Some(&tags(&[("Name", "n")])),
        );
        assert_eq!(
            r.tags_all,
            tags(&[("Env", "prod"), ("Manual", "m"), ("Name", "n")])
        );
        assert_eq!(r.tags, tags(&[("Manual", "m"), ("Name", "n")]));
    }

    #[test]
    fn remote_split_keeps_default_value_changed_in_aws() {
        // A default tag whose value was changed outside Terraform is drift, not a default.
        let r = tags_from_remote(
            &tags(&[("Env", "dev")]),
            &tags(&[("Env", "prod")]),
            &IgnoreTags::default(),
            None,
        );
        assert_eq!(r.tags, tags(&[("Env", "dev")]));
    }

    #[test]
    fn remote_split_keeps_configured_duplicate_of_default() {
        let r = tags_from_remote(
            &tags(&[("Env", "prod")]),
            &tags(&[("Env", "prod")]),
            &IgnoreTags::default(),
            Some(&tags(&[("Env", "prod")])),
        );
        assert_eq!(r.tags, tags(&[("Env", "prod")]));
        let imported = tags_from_remote(
            &tags(&[("Env", "prod")]),
            &tags(&[("Env", "prod")]),
            &IgnoreTags::default(),
            None,
        );
        assert!(imported.tags.is_empty());
    }

    #[test]
    fn diff_touches_only_changed_keys() {
        let d = TagDiff::between(
            &tags(&[("a", "1"), ("b", "2"), ("c", "3")]),
            &tags(&[("a", "1"), ("b", "20"), ("d", "4")]),
        );
        assert_eq!(d.to_delete, vec!["c".to_string()]);
        assert_eq!(d.to_set, tags(&[("b", "20"), ("d", "4")]));
        assert!(!d.is_empty());
    }

    #[test]
    fn diff_never_touches_aws_keys() {
        let d = TagDiff::between(&tags(&[("aws:x", "1")]), &tags(&[("aws:y", "2")]));
        assert!(d.is_empty());
    }

    #[test]
    fn diff_of_equal_sets_is_empty() {
        let t = tags(&[("a", "1")]);
        assert!(TagDiff::between(&t, &t).is_empty());
        assert!(TagDiff::between(&Tags::new(), &Tags::new()).is_empty());
    }
}
