//! Schemas built once: the same definition gives Terraform its wire schema, gives values their
//! types, drives validation and plan modifiers, and feeds the generated documentation.
//!
//! ```
//! use tfplugin::schema::{Attribute, Block, Schema};
//! let schema = Schema::new(0, Block::new("A node group.")
//!     .attribute(Attribute::string("cluster_name").required().requires_replace()
//!         .description("Name of the EKS cluster."))
//!     .attribute(Attribute::string("id").computed().use_state_for_unknown()
//!         .description("`cluster_name:node_group_name`.")));
//! assert!(schema.block.attribute_named("cluster_name").is_some());
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::diag::{AttributePath, Diagnostics};
use crate::validate::Validator;
use crate::value::{Type, Value};

/// A resource's, data source's or provider's schema: a version and its root block.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Bumped when the stored state's shape changes; state upgraders run from older versions.
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Self { version, block }
    }

    /// The type of a whole object of this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

/// How a nested block or nested attribute repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one; null when absent.
    Single,
    /// An ordered list.
    List,
    /// An unordered set.
    Set,
    /// A map from labels to objects.
    Map,
    /// Exactly one, never null (its attributes may be).
    Group,
}

impl Nesting {
    fn wrap(self, object: Type) -> Type {
        match self {
            Nesting::Single | Nesting::Group => object,
            Nesting::List => Type::List(Box::new(object)),
            Nesting::Set => Type::Set(Box::new(object)),
            Nesting::Map => Type::Map(Box::new(object)),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Nesting::Single | Nesting::Group => "block",
            Nesting::List => "list of blocks",
            Nesting::Set => "set of blocks",
            Nesting::Map => "map of blocks",
        }
    }
}

/// A set of attributes and nested blocks: a resource's root, or a nested block's body.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub description: String,
    pub deprecated: bool,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    pub fn new(description: impl Into<String>) -> Self {
        Self { description: description.into(), ..Self::default() }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }

    pub fn attribute_named(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn block_named(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The object type of one instance of this block.
    pub fn value_type(&self) -> Type {
        let mut fields = BTreeMap::new();
        for attribute in &self.attributes {
            fields.insert(attribute.name.clone(), attribute.value_type());
        }
        for block in &self.blocks {
            fields.insert(block.type_name.clone(), block.value_type());
        }
        Type::Object(fields)
    }
}

/// A block nested inside another, written `name { ... }` in configuration.
#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        Self { type_name: type_name.into(), block, nesting, min_items: 0, max_items: 0 }
    }

    /// A block that may appear at most once.
    pub fn single(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, Nesting::Single, block)
    }

    /// A repeated block, kept in order.
    pub fn list(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, Nesting::List, block)
    }

    /// A repeated block whose order does not matter.
    pub fn set(type_name: impl Into<String>, block: Block) -> Self {
        Self::new(type_name, Nesting::Set, block)
    }

    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }

    pub fn value_type(&self) -> Type {
        self.nesting.wrap(self.block.value_type())
    }
}

/// Decides, from the prior and planned values of an attribute, whether a change to it must
/// replace the object.
pub type ReplaceIf = Arc<dyn Fn(&Value, &Value) -> bool + Send + Sync>;

/// What the generic planner does with an attribute beyond copying configuration.
#[derive(Clone)]
pub enum PlanModifier {
    /// Any change of the value replaces the object.
    RequiresReplace,
    /// A change replaces the object when the function says so; the text says when, for docs.
    RequiresReplaceIf(ReplaceIf, String),
    /// A computed value keeps its prior state instead of becoming unknown on update.
    UseStateForUnknown,
}

impl fmt::Debug for PlanModifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanModifier::RequiresReplace => write!(f, "RequiresReplace"),
            PlanModifier::RequiresReplaceIf(_, when) => write!(f, "RequiresReplaceIf({when})"),
            PlanModifier::UseStateForUnknown => write!(f, "UseStateForUnknown"),
        }
    }
}

/// Nested attributes (protocol 6): attributes whose value is an object, or a collection of them.
#[derive(Clone, Debug)]
pub struct NestedAttributes {
    pub nesting: Nesting,
    pub attributes: Vec<Attribute>,
}

/// One attribute of a block.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub nested: Option<NestedAttributes>,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Why the attribute is deprecated, when it is.
    pub deprecated: Option<String>,
    /// The value planned when configuration leaves an optional+computed attribute null.
    pub default: Option<Value>,
    pub modifiers: Vec<PlanModifier>,
    pub validators: Vec<Arc<dyn Validator>>,
    /// Sibling attributes that may not be set together with this one.
    pub conflicts_with: Vec<String>,
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self {
            name: name.into(),
            ty,
            nested: None,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: None,
            default: None,
            modifiers: Vec::new(),
            validators: Vec::new(),
            conflicts_with: Vec::new(),
        }
    }

    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    pub fn int(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number).validator(crate::validate::whole_number())
    }

    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    pub fn list_of(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::List(Box::new(element)))
    }

    pub fn set_of(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::Set(Box::new(element)))
    }

    pub fn map_of(name: impl Into<String>, element: Type) -> Self {
        Self::new(name, Type::Map(Box::new(element)))
    }

    /// An attribute holding objects described by their own attributes.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        let mut fields = BTreeMap::new();
        for attribute in &attributes {
            fields.insert(attribute.name.clone(), attribute.value_type());
        }
        let ty = nesting.wrap(Type::Object(fields));
        let mut attribute = Self::new(name, ty);
        attribute.nested = Some(NestedAttributes { nesting, attributes });
        attribute
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn deprecated(mut self, why: impl Into<String>) -> Self {
        self.deprecated = Some(why.into());
        self
    }

    /// Optional and computed, planned as `value` when configuration leaves it out.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.optional = true;
        self.computed = true;
        self.default = Some(value.into());
        self
    }

    pub fn requires_replace(mut self) -> Self {
        self.modifiers.push(PlanModifier::RequiresReplace);
        self
    }

    pub fn requires_replace_if(
        mut self,
        when: impl Into<String>,
        f: impl Fn(&Value, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.modifiers.push(PlanModifier::RequiresReplaceIf(Arc::new(f), when.into()));
        self
    }

    pub fn use_state_for_unknown(mut self) -> Self {
        self.modifiers.push(PlanModifier::UseStateForUnknown);
        self
    }

    pub fn validator(mut self, validator: Arc<dyn Validator>) -> Self {
        self.validators.push(validator);
        self
    }

    pub fn conflicts_with(mut self, sibling: impl Into<String>) -> Self {
        self.conflicts_with.push(sibling.into());
        self
    }

    pub fn value_type(&self) -> Type {
        self.ty.clone()
    }

    pub fn has_modifier(&self, wanted: fn(&PlanModifier) -> bool) -> bool {
        self.modifiers.iter().any(wanted)
    }

    /// The sentence fragments the docs print after the attribute's description.
    pub fn doc_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(default) = &self.default {
            notes.push(format!("Defaults to `{}`.", hcl_literal(default)));
        }
        for validator in &self.validators {
            let text = validator.description();
            if !text.is_empty() {
                notes.push(format!("Value must {text}."));
            }
        }
        for modifier in &self.modifiers {
            match modifier {
                PlanModifier::RequiresReplace => notes.push("Changing it replaces the object.".into()),
                PlanModifier::RequiresReplaceIf(_, when) => notes.push(format!("Replaces the object when {when}.")),
                PlanModifier::UseStateForUnknown => {}
            }
        }
        for sibling in &self.conflicts_with {
            notes.push(format!("Conflicts with `{sibling}`."));
        }
        if let Some(why) = &self.deprecated {
            notes.push(format!("**Deprecated**: {why}"));
        }
        notes
    }
}

/// A value as it would be written in configuration, for documentation.
pub fn hcl_literal(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            format!("[{}]", items.iter().map(hcl_literal).collect::<Vec<_>>().join(", "))
        }
        Value::Map(items) | Value::Object(items) => format!(
            "{{ {} }}",
            items.iter().map(|(k, v)| format!("{k} = {}", hcl_literal(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Checks a configuration against a schema's validators and conflicts, walking nested blocks.
/// Unknown and null values are skipped: they are checked again once known.
pub fn validate_config(block: &Block, config: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !config.is_known() || config.is_null() {
        return;
    }
    for attribute in &block.attributes {
        let attr_path = path.clone().attr(attribute.name.clone());
        let value = config.get(&attribute.name).unwrap_or(&Value::Null);
        if value.is_null() {
            continue;
        }
        for sibling in &attribute.conflicts_with {
            let other = config.get(sibling).unwrap_or(&Value::Null);
            if !other.is_null() {
                diags.error_at(
                    attr_path.clone(),
                    "Conflicting attributes",
                    format!("`{}` cannot be set together with `{sibling}`: set only one of them.", attribute.name),
                );
            }
        }
        if value.is_known() {
            for validator in &attribute.validators {
                validator.validate(value, &attr_path, diags);
            }
        }
        if let (Some(nested), true) = (&attribute.nested, value.is_known()) {
            let inner = Block { attributes: nested.attributes.clone(), ..Block::default() };
            for_each_element(nested.nesting, value, &attr_path, |element, element_path| {
                validate_config(&inner, element, &element_path, diags)
            });
        }
    }
    for nested in &block.blocks {
        let block_path = path.clone().attr(nested.type_name.clone());
        let value = config.get(&nested.type_name).unwrap_or(&Value::Null);
        if !value.is_known() {
            continue;
        }
        for_each_element(nested.nesting, value, &block_path, |element, element_path| {
            validate_config(&nested.block, element, &element_path, diags)
        });
    }
}

/// Calls `f` on each object of a nested value with its path.
pub fn for_each_element(
    nesting: Nesting,
    value: &Value,
    path: &AttributePath,
    mut f: impl FnMut(&Value, AttributePath),
) {
    match (nesting, value) {
        (Nesting::Single | Nesting::Group, Value::Object(_)) => f(value, path.clone()),
        (Nesting::List, Value::List(items)) | (Nesting::Set, Value::Set(items)) => {
            for (i, item) in items.iter().enumerate() {
                f(item, path.clone().index(i));
            }
        }
        (Nesting::Map, Value::Map(items)) => {
            for (key, item) in items {
                f(item, path.clone().key(key.clone()));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;

    fn sample() -> Block {
        Block::new("sample")
            .attribute(Attribute::string("name").required().validator(validate::length_between(1, 5)))
            .attribute(Attribute::string("a").optional().conflicts_with("b"))
            .attribute(Attribute::string("b").optional())
            .block(NestedBlock::list("rule", Block::new("r").attribute(Attribute::int("n").required().validator(validate::int_between(0, 3)))))
    }

    #[test]
    fn block_type_includes_attributes_and_blocks() {
        let ty = sample().value_type();
        let Type::Object(fields) = ty else { panic!("not an object") };
        assert_eq!(fields.keys().cloned().collect::<Vec<_>>(), vec!["a", "b", "name", "rule"]);
        assert!(matches!(fields["rule"], Type::List(_)));
    }

    #[test]
    fn validation_reports_paths_inside_blocks() {
        let config = Value::object([
            ("name", Value::from("toolong")),
            ("a", Value::from("x")),
            ("b", Value::from("y")),
            ("rule", Value::List(vec![Value::object([("n", Value::from(1))]), Value::object([("n", Value::from(9))])])),
        ]);
        let mut diags = Diagnostics::new();
        validate_config(&sample(), &config, &AttributePath::empty(), &mut diags);
        let paths: Vec<String> = diags.iter().filter_map(|d| d.path.as_ref().map(|p| p.to_string())).collect();
        assert_eq!(paths, vec!["name", "a", "rule[1].n"]);
    }

    #[test]
    fn unknown_values_are_not_validated_yet() {
        let config = Value::object([("name", Value::Unknown), ("a", Value::Null), ("b", Value::Null), ("rule", Value::Unknown)]);
        let mut diags = Diagnostics::new();
        validate_config(&sample(), &config, &AttributePath::empty(), &mut diags);
        assert!(diags.is_empty());
    }
}
