//! Tag logic used by every resource: default_tags merging, ignore_tags filtering, tag diffs.
//! (Owned by the provider-configuration work; see `IgnoreTags`.)

/// `ignore_tags { keys, key_prefixes }`: tags Terraform neither reports nor manages.
#[derive(Clone, Debug, Default)]
pub struct IgnoreTags {
    pub keys: Vec<String>,
    pub key_prefixes: Vec<String>,
}
