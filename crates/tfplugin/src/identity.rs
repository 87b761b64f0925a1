//! Resource identity (plugin protocol 6.9, Terraform 1.12 and later): the few attributes that
//! name one object of a resource type for good, such as an image id and its region.
//!
//! A resource type that has one declares it once, with [`crate::Resource::identity_schema`]
//! (the attributes) and [`crate::Resource::identity`] (how a state names its object). The
//! server does the rest, for every resource alike:
//!
//! - answers `GetResourceIdentitySchemas`;
//! - returns the identity of the new state from read, plan, apply, import and moves;
//! - refuses an identity that changed: an object keeps its identity for life, so a read, plan
//!   or apply whose object no longer matches the identity Terraform stored (or an import whose
//!   object does not match the identity the user gave) is an error naming what differs
//!   ([`contradictions`]);
//! - passes `import { identity = { ... } }` to [`crate::Resource::import_by_identity`].
//!
//! Terraform releases before 1.12 neither send nor read identities: for them nothing changes.

use crate::diag::Diagnostic;
use crate::value::{Type, Value};

/// One attribute of an identity. Terraform stores identities as strings, numbers and booleans
/// (and lists of them); this crate's identities are flat objects of such attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityAttribute {
    /// The attribute's name, e.g. `id`.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// An `import { identity = { ... } }` block must set it.
    pub required_for_import: bool,
    /// An `import { identity = { ... } }` block may set it (otherwise the provider fills it in).
    pub optional_for_import: bool,
    /// Shown in documentation generated from the schema.
    pub description: String,
}

impl IdentityAttribute {
    /// An attribute every import by identity names.
    pub fn required(name: &str, ty: Type, description: &str) -> Self {
        IdentityAttribute {
            name: name.to_string(),
            ty,
            required_for_import: true,
            optional_for_import: false,
            description: description.to_string(),
        }
    }
    /// An attribute an import by identity may leave out, for the provider to fill in.
    pub fn optional(name: &str, ty: Type, description: &str) -> Self {
        IdentityAttribute {
            optional_for_import: true,
            required_for_import: false,
            ..IdentityAttribute::required(name, ty, description)
        }
    }
}

/// The identity of a resource type's objects.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentitySchema {
    /// Bumped only with an [`crate::Resource::upgrade_identity`] step, like a schema version.
    pub version: i64,
    /// Its attributes.
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// An identity of no attributes yet, at `version`.
    pub fn new(version: i64) -> Self {
        IdentitySchema {
            version,
            attributes: Vec::new(),
        }
    }
    /// With one more attribute.
    pub fn attr(mut self, a: IdentityAttribute) -> Self {
        self.attributes.push(a);
        self
    }
    /// The object type of its values.
    pub fn implied_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        )
    }
}

/// The attributes of `new` that contradict `stored`: known and set in both, and different. An
/// attribute either side leaves null or unknown contradicts nothing (a create's planned
/// identity is unknown; an identity given for import may leave optional attributes out).
pub fn contradictions(stored: &Value, new: &Value) -> Vec<(String, Value, Value)> {
    let (Some(old), Some(new)) = (stored.as_map(), new.as_map()) else {
        return Vec::new();
    };
    old.iter()
        .filter_map(|(name, was)| {
            let now = new.get(name)?;
            let comparable = was.is_known_value() && now.is_known_value();
            (comparable && was != now).then(|| (name.clone(), was.clone(), now.clone()))
        })
        .collect()
}

/// The error for an identity that changed: `differ` as [`contradictions`] lists them, `whose`
/// the identity they contradict ("the state", "the import block").
pub fn changed(type_name: &str, whose: &str, differ: &[(String, Value, Value)]) -> Diagnostic {
    let show = |v: &Value| match v {
        Value::String(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    };
    let list = differ
        .iter()
        .map(|(name, was, now)| format!("{name} is {} now, {} in {whose}", show(now), show(was)))
        .collect::<Vec<_>>()
        .join("; ");
    Diagnostic::error(
        "Resource identity changed",
        format!(
            "The identity of this {type_name} differs from the one in {whose}: {list}. An object \
             keeps its identity for life, so this is not the object {whose} names, and nothing \
             was changed. Check the provider configuration it is read with."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(pairs: &[(&str, Value)]) -> Value {
        let mut v = Value::Null;
        for (k, x) in pairs {
            v.set(*k, x.clone());
        }
        v
    }

    #[test]
    fn only_known_set_values_that_differ_contradict() {
        let stored = id(&[
            ("id", Value::string("ami-1")),
            ("region", Value::string("eu-west-1")),
            ("account_id", Value::Null),
        ]);
        let same = id(&[
            ("id", Value::string("ami-1")),
            ("region", Value::string("eu-west-1")),
            ("account_id", Value::string("123456789012")),
        ]);
        assert!(contradictions(&stored, &same).is_empty());
        let unknown = id(&[
            ("id", Value::Unknown),
            ("region", Value::string("eu-west-1")),
        ]);
        assert!(contradictions(&stored, &unknown).is_empty());
        assert!(contradictions(&Value::Null, &same).is_empty());
        let moved = id(&[
            ("id", Value::string("ami-1")),
            ("region", Value::string("us-east-1")),
        ]);
        let differ = contradictions(&stored, &moved);
        assert_eq!(differ.len(), 1);
        assert_eq!(differ[0].0, "region");
        let d = changed("aws_ami_copy", "the state", &differ);
        let want = r#"region is "us-east-1" now, "eu-west-1" in the state"#;
        assert!(d.detail.contains(want), "{}", d.detail);
    }

    #[test]
    fn implied_type_and_builders() {
        let s = IdentitySchema::new(0)
            .attr(IdentityAttribute::optional("region", Type::String, ""))
            .attr(IdentityAttribute::required("id", Type::String, ""));
        assert!(s.attributes[1].required_for_import && !s.attributes[1].optional_for_import);
        assert!(s.attributes[0].optional_for_import && !s.attributes[0].required_for_import);
        assert_eq!(
            s.implied_type(),
            Type::Object(
                [
                    ("id".to_string(), Type::String),
                    ("region".to_string(), Type::String)
                ]
                .into()
            )
        );
    }
}
