//! Schemas: what a provider, resource or nested block accepts and exposes.

use crate::value::Type;
use std::collections::BTreeMap;

/// A resource's (or the provider's) schema with its version, for state upgrades.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
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
        }
    }
    pub fn required(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            required: true,
            ..Self::new(name, ty, description)
        }
    }
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
    pub fn computed(name: &str, ty: Type, description: &str) -> Self {
        Attribute {
            computed: true,
            ..Self::new(name, ty, description)
        }
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
}

impl NestedBlock {
    pub fn new(type_name: &str, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            type_name: type_name.to_string(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }
}

impl Block {
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Default::default()
        }
    }
    pub fn attr(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Self {
        self.blocks.push(b);
        self
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
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
}
