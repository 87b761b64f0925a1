//! Schemas: what a provider, resource or nested block accepts and exposes.
//!
//! Besides what Terraform itself reads (type, required/optional/computed, sensitive), an
//! [`Attribute`] carries the rules a provider would otherwise spread over its code: whether a
//! change needs a new object ([`Attribute::replace_on_change`]), the value planned when the
//! configuration leaves it out ([`Attribute::default`]), its checks ([`Attribute::validate`]),
//! and how older states spelled "unset" ([`Attribute::empty_string_is_null`]). The plan
//! defaults ([`crate::plan_defaults`]), configuration checks ([`crate::config_checks`]) and
//! state upgrades read them from here, so each rule is written once, beside its attribute.

use crate::diag::{AttributePath, Diagnostics};
use crate::value::{Type, Value};
use std::collections::BTreeMap;

/// Checks one configured value of an attribute and adds what is wrong to the diagnostics,
/// pointing at `path`. Called for every value that is not null, unknown ones included: a check
/// of the value's content skips unknowns (Terraform validates again once they are known), a
/// check that the attribute may not be set at all does not.
pub type Validator = fn(path: &AttributePath, value: &Value, diags: &mut Diagnostics);

/// A resource's (or the provider's) schema with its version, for state upgrades.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Stored with every state; a state written with an older version goes through
    /// `upgrade_state` first.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

/// An object's attributes and nested blocks (a resource, the provider block, a `timeouts {}`).
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// The attributes, in the order documentation lists them.
    pub attributes: Vec<Attribute>,
    /// The nested blocks (`timeouts {}`, `assume_role {}`).
    pub blocks: Vec<NestedBlock>,
    /// Shown by `terraform providers schema` and documentation tools.
    pub description: String,
    /// Terraform warns when a deprecated block is used.
    pub deprecated: bool,
}

/// One attribute of a [`Block`]: what Terraform needs to know, and the rules the provider
/// declares for it (see the module documentation).
#[derive(Clone, Debug)]
pub struct Attribute {
    /// Its name in configuration and state.
    pub name: String,
    /// Its cty type.
    pub ty: Type,
    /// Shown by `terraform providers schema` and documentation tools.
    pub description: String,
    /// The configuration must set it.
    pub required: bool,
    /// The configuration may set it.
    pub optional: bool,
    /// The provider may set it (when the configuration does not).
    pub computed: bool,
    /// Terraform hides the value in plans and output.
    pub sensitive: bool,
    /// Terraform warns when it is set.
    pub deprecated: bool,
    /// A changed value can only be had with a new object: plans list it in `requires_replace`.
    pub replace_on_change: bool,
    /// Planned when the configuration leaves it null; a null in a prior state counts as this
    /// value, so states written before the default existed plan clean. Needs `computed`.
    pub default: Option<Value>,
    /// Describes the cloud object and is set by the provider only (computed, not optional), so
    /// `plan -generate-config-out` leaves it out of the configuration it writes. Terraform still
    /// passes a configured value to validation: pair it with a validator that refuses one. Unlike the provider's own bookkeeping attributes, it
    /// is what a resumed operation learns again.
    pub read_only: bool,
    /// `""` means "not set" for this string, as terraform-plugin-sdk (v2) providers spell it in
    /// configurations (module defaults) and states: validators skip it. Pair it with
    /// `default(Value::string(""))` on an optional+computed attribute to store it the same way.
    pub empty_string_is_null: bool,
    /// Checks of a configured value, run by [`crate::config_checks::validate`].
    pub validators: Vec<Validator>,
}

/// How a nested block appears in configuration and state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; an object in the state.
    Single,
    /// Any number of blocks, in order; a list in the state.
    List,
    /// Any number of blocks, unordered; a set in the state.
    Set,
    /// Labelled blocks; a map in the state.
    Map,
    /// Like `Single`, but never null: absent is an object of nulls.
    Group,
}

/// A block nested in another block (`timeouts {}`).
#[derive(Clone, Debug)]
pub struct NestedBlock {
    /// Its name in configuration and state.
    pub type_name: String,
    /// Its own attributes and blocks.
    pub block: Block,
    /// How many may appear and how the state holds them.
    pub nesting: Nesting,
    /// The fewest blocks the configuration must write (0: no minimum).
    pub min_items: i64,
    /// The most blocks the configuration may write (0: no maximum).
    pub max_items: i64,
}

impl Attribute {
    fn new(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            description: description.to_string(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            replace_on_change: false,
            default: None,
            read_only: false,
            empty_string_is_null: false,
            validators: Vec::new(),
        }
    }
    /// An argument the configuration must set.
    pub fn required(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            required: true,
            ..Self::new(name, ty, description)
        }
    }
    /// An argument the configuration may leave out (null then).
    pub fn optional(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            optional: true,
            ..Self::new(name, ty, description)
        }
    }
    /// Optional, and computed by the provider when not set.
    pub fn optional_computed(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            optional: true,
            computed: true,
            ..Self::new(name, ty, description)
        }
    }
    /// An attribute only the provider sets.
    pub fn computed(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            computed: true,
            ..Self::new(name, ty, description)
        }
    }
    /// An attribute the provider reads from the cloud object: see [`Attribute::read_only`].
    pub fn read_only(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            read_only: true,
            ..Self::computed(name, ty, description)
        }
    }
    /// Hidden in plans and output (passwords, keys).
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// Changing it needs a new object (see [`Attribute::replace_on_change`]).
    pub fn replace_on_change(mut self) -> Self {
        self.replace_on_change = true;
        self
    }
    /// Planned as `value` when not configured (see [`Attribute::default`]).
    pub fn default(mut self, value: Value) -> Self {
        self.default = Some(value);
        self
    }
    /// Older states may hold `""` for unset (see [`Attribute::empty_string_is_null`]).
    pub fn empty_string_is_null(mut self) -> Self {
        self.empty_string_is_null = true;
        self
    }
    /// Adds a check of configured values (see [`Validator`]).
    pub fn validate(mut self, check: Validator) -> Self {
        self.validators.push(check);
        self
    }
}

impl NestedBlock {
    /// Whether the block only describes the cloud object: set by the provider (every attribute
    /// computed-only), never by a configuration. A list or set of such blocks is how
    /// terraform-plugin-sdk providers expose nested read-only objects.
    pub fn is_computed(&self) -> bool {
        matches!(self.nesting, Nesting::List | Nesting::Set)
            && !self.block.attributes.is_empty()
            && self
                .block
                .attributes
                .iter()
                .all(|a| a.computed && !a.optional && !a.required)
    }

    /// A nested block with no item limits.
    pub fn new(type_name: &str, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            type_name: type_name.to_string(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }
    /// At most `n` blocks.
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }
}

impl Block {
    /// An empty block; add to it with [`Block::attr`] and [`Block::block`].
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Default::default()
        }
    }
    /// Adds an attribute.
    pub fn attr(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }
    /// Adds a nested block.
    pub fn block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }
    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    /// The nested block called `name`.
    pub fn nested(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The object type of a value conforming to this block.
    pub fn implied_type(&self) -> Type {
        let mut attrs = BTreeMap::new();
        for a in &self.attributes {
            attrs.insert(a.name.clone(), a.ty.clone());
        }
        for b in &self.blocks {
            let inner = b.block.implied_type();
            let ty = match b.nesting {
                Nesting::Single | Nesting::Group => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
                Nesting::Map => Type::map(inner),
            };
            attrs.insert(b.type_name.clone(), ty);
        }
        Type::Object(attrs)
    }

    /// An object with every attribute and nested block null: the starting point of an
    /// imported state, or of a state built from a cloud object.
    pub fn null_value(&self) -> Value {
        let names = self.attributes.iter().map(|a| a.name.clone());
        let blocks = self.blocks.iter().map(|b| b.type_name.clone());
        Value::Map(names.chain(blocks).map(|n| (n, Value::Null)).collect())
    }

    /// Spells absent values the way terraform-plugin-sdk (v2) providers store them, so that
    /// configurations written against such a provider keep working (`"${x.kernel_id}"` and
    /// `length(x.ramdisk_id)` fail on null): a null computed string is `""`, and in the elements
    /// of a [computed block](NestedBlock::is_computed) a null string, number or bool is `""`,
    /// `0` or `false`. Arguments the configuration alone decides are left as they are.
    pub fn spell_like_sdkv2(&self, state: &mut Value) {
        if state.is_null() {
            return;
        }
        for a in self.attributes.iter().filter(|a| a.computed) {
            if a.ty == Type::String && state.get(&a.name).is_null() {
                state.set(a.name.clone(), Value::string(""));
            }
        }
        for b in self.blocks.iter().filter(|b| b.is_computed()) {
            let Value::List(items) = state.get(&b.type_name).clone() else {
                state.set(b.type_name.clone(), Value::List(vec![]));
                continue;
            };
            let zeroed = items
                .into_iter()
                .map(|mut item| {
                    for a in &b.block.attributes {
                        if item.get(&a.name).is_null() {
                            if let Some(zero) = zero_value(&a.ty) {
                                item.set(a.name.clone(), zero);
                            }
                        }
                    }
                    item
                })
                .collect();
            state.set(b.type_name.clone(), Value::List(zeroed));
        }
    }

    /// Sets every attribute that is null in `state` and has a default to that default.
    pub fn fill_defaults(&self, state: &mut Value) {
        for a in &self.attributes {
            if let Some(d) = &a.default {
                if state.get(&a.name).is_null() {
                    state.set(a.name.clone(), d.clone());
                }
            }
        }
    }
}

/// What terraform-plugin-sdk (v2) stores for an absent primitive of type `ty`.
fn zero_value(ty: &Type) -> Option<Value> {
    match ty {
        Type::String => Some(Value::string("")),
        Type::Number => Some(Value::int(0)),
        Type::Bool => Some(Value::Bool(false)),
        _ => None,
    }
}
