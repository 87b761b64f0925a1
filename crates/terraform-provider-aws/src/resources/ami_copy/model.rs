//! The copy as Rust values: configuration, plan and state are converted once, at the edge of
//! each operation, into [`AmiCopyState`], and back with [`Cty::to_cty`].
//!
//! Each struct's field names are its attribute names: [`cty_object!`] derives the conversions
//! and a module of name constants from the fields, so an attribute's name is written once, here,
//! and a misspelt name elsewhere is a compile error rather than a silent null.
//!
//! Unknown values become `None`: the model serves apply and read, where everything the
//! configuration sets is known. Planning, where unknown matters, works on the [`Value`]s with
//! the name constants.

use super::copy_state::Lifecycle;
use crate::tags::Tags;
use tfplugin::Value;

/// One attribute value converted between cty and Rust.
pub trait Cty: Sized {
    /// From a value (null and unknown become the type's "absent").
    fn from_cty(v: &Value) -> Self;
    /// To a value ("absent" becomes null).
    fn to_cty(&self) -> Value;
}

impl Cty for Option<String> {
    /// `""` is absent too: the Go provider's (and modules') spelling of "not set".
    fn from_cty(v: &Value) -> Self {
        v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
    }
    fn to_cty(&self) -> Value {
        Value::opt_string(self.clone())
    }
}

impl Cty for Option<bool> {
    fn from_cty(v: &Value) -> Self {
        v.as_bool()
    }
    fn to_cty(&self) -> Value {
        Value::opt_bool(*self)
    }
}

impl Cty for Option<i64> {
    fn from_cty(v: &Value) -> Self {
        v.as_i64()
    }
    fn to_cty(&self) -> Value {
        Value::opt_int(*self)
    }
}

impl Cty for Option<Tags> {
    /// A known map; its unknown elements (only in a plan) are left out.
    fn from_cty(v: &Value) -> Self {
        v.as_map().map(|_| v.as_string_map())
    }
    fn to_cty(&self) -> Value {
        self.as_ref().map(Value::string_map).unwrap_or(Value::Null)
    }
}

impl<T: Cty> Cty for Option<Vec<T>> {
    fn from_cty(v: &Value) -> Self {
        v.as_list()
            .map(|items| items.iter().map(T::from_cty).collect())
    }
    fn to_cty(&self) -> Value {
        match self {
            Some(items) => Value::List(items.iter().map(Cty::to_cty).collect()),
            None => Value::Null,
        }
    }
}

impl Cty for Option<Lifecycle> {
    fn from_cty(v: &Value) -> Self {
        v.as_str().map(Lifecycle::parse)
    }
    fn to_cty(&self) -> Value {
        Value::opt_string(self.as_ref().map(Lifecycle::as_str))
    }
}

/// Kept as it is: `timeouts` is only read (see [`AmiCopyState::timeout`]) and written back.
impl Cty for Value {
    fn from_cty(v: &Value) -> Self {
        v.clone()
    }
    fn to_cty(&self) -> Value {
        self.clone()
    }
}

/// Declares an object type whose fields are its attributes: the struct, its [`Cty`]
/// conversion, and `mod $names` with one `&str` constant per attribute, named like the field.
macro_rules! cty_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $names:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Cty for $name {
            fn from_cty(v: &Value) -> Self {
                $name { $( $field: Cty::from_cty(v.get(stringify!($field))), )* }
            }
            fn to_cty(&self) -> Value {
                let mut v = Value::Map(Default::default());
                $( v.set(stringify!($field), self.$field.to_cty()); )*
                v
            }
        }

        /// The attribute names of
        #[doc = concat!("[`", stringify!($name), "`],")]
        /// one constant per field, named like it.
        #[allow(non_upper_case_globals, dead_code)]
        pub mod $names {
            $( pub const $field: &str = stringify!($field); )*
            /// Every name, in declaration order.
            pub const ALL: &[&str] = &[$( stringify!($field) ),*];
        }
    };
}

cty_object! {
    /// One EBS block device mapping of the image (`ebs_block_device`).
    pub struct EbsBlockDevice in ebs_attr {
        delete_on_termination: Option<bool>,
        device_name: Option<String>,
        encrypted: Option<bool>,
        iops: Option<i64>,
        outpost_arn: Option<String>,
        snapshot_id: Option<String>,
        throughput: Option<i64>,
        volume_size: Option<i64>,
        volume_type: Option<String>,
    }
}

cty_object! {
    /// One instance store mapping of the image (`ephemeral_block_device`).
    pub struct EphemeralBlockDevice in ephemeral_attr {
        device_name: Option<String>,
        virtual_name: Option<String>,
    }
}

cty_object! {
    /// Everything an `aws_ami_copy` holds: its arguments, then what EC2 reports. The schema
    /// (`schema.rs`) says which is which and what each means.
    pub struct AmiCopyState in attr {
        name: Option<String>,
        source_ami_id: Option<String>,
        source_ami_region: Option<String>,
        description: Option<String>,
        deprecation_time: Option<String>,
        destination_outpost_arn: Option<String>,
        destination_availability_zone: Option<String>,
        encrypted: Option<bool>,
        kms_key_id: Option<String>,
        copy_tags: Option<bool>,
        snapshot_copy_completion_duration_minutes: Option<i64>,
        deregistration_protection: Option<String>,
        skip_destroy: Option<bool>,
        tags: Option<Tags>,
        region: Option<String>,
        id: Option<String>,
        arn: Option<String>,
        state: Option<Lifecycle>,
        tags_all: Option<Tags>,
        copy_attempts: Option<String>,
        architecture: Option<String>,
        boot_mode: Option<String>,
        ena_support: Option<bool>,
        hypervisor: Option<String>,
        image_location: Option<String>,
        image_owner_alias: Option<String>,
        image_type: Option<String>,
        imds_support: Option<String>,
        kernel_id: Option<String>,
        last_launched_time: Option<String>,
        manage_ebs_snapshots: Option<bool>,
        owner_id: Option<String>,
        platform: Option<String>,
        platform_details: Option<String>,
        public: Option<bool>,
        ramdisk_id: Option<String>,
        root_device_name: Option<String>,
        root_snapshot_id: Option<String>,
        sriov_net_support: Option<String>,
        tpm_support: Option<String>,
        uefi_data: Option<String>,
        usage_operation: Option<String>,
        virtualization_type: Option<String>,
        ebs_block_device: Option<Vec<EbsBlockDevice>>,
        ephemeral_block_device: Option<Vec<EphemeralBlockDevice>>,
        timeouts: Value,
    }
}

cty_object! {
    /// The `timeouts {}` block, as Go durations.
    pub struct Timeouts in timeouts_attr {
        create: Option<String>,
        update: Option<String>,
        delete: Option<String>,
    }
}

/// Which wait a timeout is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Copying, up to `available`.
    Create,
    /// An in-place change, or resuming a copy left pending.
    Update,
    /// Deregistering, up to gone.
    Delete,
}

impl AmiCopyState {
    /// The copy's region: its `region`, else the provider's.
    pub fn region_or<'a>(&'a self, provider_region: &'a str) -> &'a str {
        self.region
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(provider_region)
    }

    /// The image id, `""` before the copy exists.
    pub fn image_id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }

    /// The `timeouts` block's value for `op`, else the documented default (40 minutes to
    /// copy or update, 90 to delete).
    pub fn timeout(&self, op: Operation) -> std::time::Duration {
        let t = Timeouts::from_cty(&self.timeouts);
        let (configured, default_minutes) = match op {
            Operation::Create => (t.create, 40),
            Operation::Update => (t.update, 40),
            Operation::Delete => (t.delete, 90),
        };
        configured
            .and_then(|s| crate::validators::go_duration(&s).ok())
            .filter(|d| !d.is_zero())
            .unwrap_or(std::time::Duration::from_secs(default_minutes * 60))
    }

    /// This state (as observed) under the known values of `planned`: Terraform requires an
    /// apply to return every known planned value unchanged, so only the unknown ones come from
    /// EC2; what EC2 did not tell us is absent.
    pub fn settled(self, planned: &Value) -> AmiCopyState {
        let mut v = self.to_cty();
        tfplugin::apply_result::overlay_known(planned, &mut v);
        AmiCopyState::from_cty(&v)
    }

    /// `deregistration_protection`, where unset means disabled.
    pub fn protection(&self) -> &str {
        self.deregistration_protection
            .as_deref()
            .unwrap_or("disabled")
    }

    /// The snapshot ids the state records: its EBS mappings' and the root snapshot.
    pub fn snapshot_ids(&self) -> Vec<String> {
        let mappings = self.ebs_block_device.iter().flatten();
        let ids = mappings
            .filter_map(|e| e.snapshot_id.clone())
            .chain(self.root_snapshot_id.clone());
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            if !id.is_empty() && !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ami_copy::schema::schema;
    use std::time::Duration;

    #[test]
    fn fields_are_the_schema_attributes() {
        let s = schema().block;
        let mut in_schema: Vec<&str> = s.attributes.iter().map(|a| a.name.as_str()).collect();
        in_schema.extend(s.blocks.iter().map(|b| b.type_name.as_str()));
        in_schema.sort();
        let mut in_model = attr::ALL.to_vec();
        in_model.sort();
        assert_eq!(in_schema, in_model);
    }

    #[test]
    fn round_trip_keeps_values_and_nulls() {
        let mut v = schema().block.null_value();
        v.set(attr::name, Value::string("n"));
        v.set(attr::state, Value::string("pending"));
        v.set(attr::tags, Value::string_map([("a", "1")]));
        v.set(attr::encrypted, Value::Bool(true));
        v.set(
            attr::snapshot_copy_completion_duration_minutes,
            Value::int(15),
        );
        let mut ebs = Value::Null;
        ebs.set(ebs_attr::snapshot_id, Value::string("snap-1"));
        ebs.set(ebs_attr::volume_size, Value::int(8));
        v.set(attr::ebs_block_device, Value::List(vec![ebs]));
        let m = AmiCopyState::from_cty(&v);
        assert_eq!(m.state, Some(Lifecycle::Pending));
        let back = m.to_cty();
        for name in attr::ALL {
            if *name != attr::ebs_block_device {
                assert_eq!(back.get(name), v.get(name), "{name}");
            }
        }
        assert_eq!(
            back.get(attr::ebs_block_device).as_list().map(|l| l.len()),
            Some(1)
        );
        assert_eq!(m.snapshot_ids(), vec!["snap-1"]);
    }

    #[test]
    fn unknown_is_absent() {
        let mut v = Value::Null;
        v.set(attr::kms_key_id, Value::Unknown);
        assert_eq!(AmiCopyState::from_cty(&v).kms_key_id, None);
    }

    #[test]
    fn timeouts_default_and_parse() {
        let mut s = AmiCopyState::default();
        assert_eq!(s.timeout(Operation::Create), Duration::from_secs(2400));
        assert_eq!(s.timeout(Operation::Delete), Duration::from_secs(5400));
        let mut t = Value::Null;
        t.set(timeouts_attr::update, Value::string("1h30m"));
        s.timeouts = t;
        assert_eq!(s.timeout(Operation::Update), Duration::from_secs(5400));
        assert_eq!(s.timeout(Operation::Create), Duration::from_secs(2400));
    }
}
