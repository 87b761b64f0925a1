//! The copy's resource identity (Terraform 1.12 and later): `id` (the AMI id, required to
//! import), `region` and `account_id` (optional), the shape hashicorp/aws gives its regional
//! resources. tfplugin returns it with every state and refuses one that changed (see
//! `tfplugin::identity`); this module says how a state names its copy and how an
//! `import { identity = { ... } }` block becomes a state to read.
//!
//! - `region` is the copy's own region: the state's `region`, or the provider's where the state
//!   records none (hashicorp/aws 5.x states). A provider moved to another region therefore does
//!   not silently read a 5.x state's copy somewhere else: the identity no longer matches.
//! - `account_id` is the account the provider's credentials belong to, or the image's owner
//!   when the provider does not ask STS (`skip_requesting_account_id`). Listing and reads look
//!   only at the account's own images, so both are the same account.

use super::model::{attr, AmiCopyState, Cty};
use crate::provider::clients::AwsClients;
use tfplugin::{
    AttributePath, Diagnostics, IdentityAttribute, IdentitySchema, ImportResponse, Type, Value,
};

/// The identity's attribute names.
pub const ID: &str = "id";
pub const REGION: &str = "region";
pub const ACCOUNT_ID: &str = "account_id";

/// Bumped only with an upgrade step for identities stored under the old version.
const VERSION: i64 = 0;

pub fn schema() -> IdentitySchema {
    IdentitySchema::new(VERSION)
        .attr(IdentityAttribute::optional(
            ACCOUNT_ID,
            Type::String,
            "AWS account the copy belongs to; defaults to the provider's account.",
        ))
        .attr(IdentityAttribute::optional(
            REGION,
            Type::String,
            "Region the copy is in; defaults to the provider's region.",
        ))
        .attr(IdentityAttribute::required(
            ID,
            Type::String,
            "ID of the copy (ami-...).",
        ))
}

/// The identity of the copy `state` describes, with the provider's region and account standing
/// in where the state has none (`clients` is `None` before the provider is configured): null
/// while the state has no id (a copy whose outcome is still unknown), the id unknown in a
/// planned create.
pub fn of_state(state: &Value, clients: Option<&AwsClients>) -> Value {
    let id = state.get(attr::id);
    if id.is_null() || id.as_str() == Some("") {
        return Value::Null;
    }
    let known = |v: &Value| match v.as_str() {
        Some("") => None,
        _ => Some(v.clone()),
    };
    let region = known(state.get(attr::region))
        .or_else(|| clients.map(|c| Value::string(c.region.clone())))
        .unwrap_or(Value::Null);
    let account = clients
        .and_then(|c| c.account_id.clone())
        .map(Value::string)
        .or_else(|| known(state.get(attr::owner_id)))
        .unwrap_or(Value::Null);
    let mut identity = Value::Null;
    identity.set(ID, id.clone());
    identity.set(REGION, region);
    identity.set(ACCOUNT_ID, account);
    identity
}

/// The state to read a copy with: as stored, except that a state recording no region (written
/// by hashicorp/aws 5.x, where none meant the provider's region) takes the region its stored
/// identity names when the provider's region is another one now. Read in the provider's new
/// region such a copy would not be found and would drop out of the state while it goes on
/// existing; read where it is, the plan shows what the configuration now asks (a copy in the new
/// region: a replacement) and nothing is lost track of.
pub fn located(state: &Value, stored: &Value, provider_region: &str) -> Value {
    let recorded = state.get(attr::region).as_str().unwrap_or_default();
    match stored.get(REGION).as_str() {
        Some(r) if recorded.is_empty() && !r.is_empty() && r != provider_region => {
            let mut v = state.clone();
            v.set(attr::region, Value::string(r));
            v
        }
        _ => state.clone(),
    }
}

/// `import { to = aws_ami_copy.x, identity = { id = "ami-...", region = "..." } }`: the state
/// the read that follows starts from, as `terraform import` with `ami-...@REGION` would make
/// it. Checked first, with no AWS call: the id's and region's shapes, and an `account_id` other
/// than the provider's (the copy would not be this account's to manage).
pub fn import(identity: &Value, clients: Option<&AwsClients>) -> ImportResponse {
    let mut diagnostics = Diagnostics::new();
    let id = identity.get(ID).as_str().unwrap_or_default();
    let region = identity.get(REGION).as_str().filter(|r| !r.is_empty());
    let account = identity.get(ACCOUNT_ID).as_str().filter(|a| !a.is_empty());
    let as_config = AmiCopyState {
        source_ami_id: Some(id.to_string()),
        region: region.map(str::to_string),
        ..Default::default()
    };
    for d in super::check_config(&as_config.to_cty()).0 {
        // The checks name the resource's arguments; an identity names its own.
        let at = match d.path.as_ref().and_then(|p| p.0.first()) {
            Some(tfplugin::PathStep::Attr(a)) if a == attr::region => REGION,
            _ => ID,
        };
        let what = if at == ID {
            id
        } else {
            region.unwrap_or_default()
        };
        diagnostics.attr_error(
            AttributePath::root("identity").attr(at),
            "Invalid import identity",
            format!(
                "identity.{at} {what:?} is not valid: {}",
                d.detail.trim_end_matches('.')
            ),
        );
    }
    // The region's shape, as the plan holds `region` to it, unless the provider skips that.
    if !clients.is_some_and(|c| c.skip_region_validation) {
        let mut shape = Diagnostics::new();
        let at = AttributePath::root("identity").attr(REGION);
        let value = region.map(Value::string).unwrap_or(Value::Null);
        super::validate::region(&at, &value, &mut shape);
        for d in shape.0 {
            diagnostics.attr_error(
                at.clone(),
                "Invalid import identity",
                format!(
                    "identity.{REGION} {:?} is not valid: {}",
                    region.unwrap_or_default(),
                    d.detail.trim_end_matches('.')
                ),
            );
        }
    }
    let provider_account = clients.and_then(|c| c.account_id.as_deref());
    if let (Some(want), Some(have)) = (account, provider_account) {
        if want != have {
            diagnostics.attr_error(
                AttributePath::root("identity").attr(ACCOUNT_ID),
                "Import identity names another account",
                format!(
                    "identity.account_id is {want:?}, but the provider's credentials belong to \
                     account {have}. Import the copy with a provider configured for account \
                     {want}."
                ),
            );
        }
    }
    if diagnostics.has_errors() {
        return ImportResponse {
            imported: vec![],
            diagnostics,
        };
    }
    let state = AmiCopyState {
        id: Some(id.to_string()),
        region: region
            .map(str::to_string)
            .or_else(|| clients.map(|c| c.region.clone())),
        ..Default::default()
    };
    ImportResponse {
        imported: vec![state.to_cty()],
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: &str, region: &str, owner: &str) -> Value {
        let mut v = Value::Null;
        v.set(attr::id, Value::string(id));
        v.set(attr::region, Value::string(region));
        v.set(attr::owner_id, Value::string(owner));
        v
    }

    #[test]
    fn the_identity_of_a_state() {
        let i = of_state(&state("ami-12345678", "eu-west-1", "123456789012"), None);
        assert_eq!(i.get(ID).as_str(), Some("ami-12345678"));
        assert_eq!(i.get(REGION).as_str(), Some("eu-west-1"));
        assert_eq!(i.get(ACCOUNT_ID).as_str(), Some("123456789012"));
        // A copy whose outcome is unknown has no id, so no identity; a planned create's is
        // unknown.
        assert!(of_state(&state("", "eu-west-1", ""), None).is_null());
        let mut planned = state("", "eu-west-1", "");
        planned.set(attr::id, Value::Unknown);
        planned.set(attr::owner_id, Value::Unknown);
        let i = of_state(&planned, None);
        assert!(i.get(ID).is_unknown() && i.get(ACCOUNT_ID).is_unknown());
        // Neither region nor owner known, and no provider to ask: null, not "".
        let bare = state("ami-12345678", "", "");
        assert!(of_state(&bare, None).get(REGION).is_null());
        assert!(of_state(&bare, None).get(ACCOUNT_ID).is_null());
    }

    #[test]
    fn a_state_without_region_is_read_where_its_identity_says() {
        let stored = of_state(&state("ami-12345678", "us-east-1", "1"), None);
        let go5 = state("ami-12345678", "", "1");
        // The provider's region is still the copy's: the state stays as it was.
        assert_eq!(located(&go5, &stored, "us-east-1"), go5);
        // It moved: the copy is read where it is.
        let moved = located(&go5, &stored, "eu-west-1");
        assert_eq!(moved.get(attr::region).as_str(), Some("us-east-1"));
        // No identity stored (older Terraform, older state), or a state with its own region.
        assert_eq!(located(&go5, &Value::Null, "eu-west-1"), go5);
        let own = state("ami-12345678", "ap-south-1", "1");
        assert_eq!(located(&own, &stored, "eu-west-1"), own);
    }

    #[test]
    fn import_checks_the_identity_before_any_call() {
        let mut id = Value::Null;
        id.set(ID, Value::string("ami-0123456789abcdef0"));
        id.set(REGION, Value::string("eu-west-1"));
        let ok = import(&id, None);
        assert!(!ok.diagnostics.has_errors(), "{:?}", ok.diagnostics);
        let s = AmiCopyState::from_cty(&ok.imported[0]);
        assert_eq!(s.id.as_deref(), Some("ami-0123456789abcdef0"));
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));

        id.set(ID, Value::string("not-an-ami"));
        id.set(REGION, Value::string("Mars"));
        let bad = import(&id, None);
        assert!(bad.imported.is_empty());
        let paths: Vec<String> = bad
            .diagnostics
            .0
            .iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(paths, ["identity.id", "identity.region"]);
        assert!(bad.diagnostics.0[0].detail.contains("\"not-an-ami\""));
    }
}
