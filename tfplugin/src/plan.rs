//! The generic planner: from prior state, configuration and Terraform's proposal it makes the
//! plan a provider author expects before any resource-specific logic runs.
//!
//! - On create, computed attributes the configuration leaves null become unknown (or their
//!   default), so Terraform shows "(known after apply)".
//! - On update, they keep their prior value unless the object changes; then they become unknown,
//!   except those marked `UseStateForUnknown`.
//! - Attributes marked `RequiresReplace` (or whose condition holds) that change are reported, so
//!   Terraform plans a replacement.
//!
//! List blocks are matched to prior state by position, single blocks directly; sets and maps of
//! blocks keep Terraform's proposal as it is.

use std::collections::BTreeMap;

use crate::diag::AttributePath;
use crate::provider::Plan;
use crate::schema::{Attribute, Block, Nesting, PlanModifier};
use crate::value::Value;

/// Makes the generic plan for one resource instance. `proposed` is Terraform's proposed new state
/// (configuration merged with prior computed values).
pub fn plan_change(block: &Block, prior: &Value, proposed: &Value, config: &Value, private: Vec<u8>) -> Plan {
    let create = prior.is_null();
    let mut planned = fill_block(block, prior, proposed, config, create, false);
    if !create && !Value::semantically_equal(&planned, prior) {
        planned = fill_block(block, prior, proposed, config, false, true);
    }
    let mut requires_replace = Vec::new();
    if !create {
        collect_replacements(block, prior, &planned, &AttributePath::empty(), &mut requires_replace);
    }
    Plan { prior: prior.clone(), config: config.clone(), planned, requires_replace, private }
}

/// Walks a block's attributes and nested blocks. `changed` says the object as a whole changes,
/// so computed values not pinned by `UseStateForUnknown` must become unknown.
fn fill_block(block: &Block, prior: &Value, proposed: &Value, config: &Value, create: bool, changed: bool) -> Value {
    if proposed.is_null() || !proposed.is_known() {
        return proposed.clone();
    }
    let mut out = BTreeMap::new();
    for attribute in &block.attributes {
        let name = &attribute.name;
        let prop = proposed.get(name).cloned().unwrap_or(Value::Null);
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let value = if attribute.computed && cfg.is_null() {
            computed_value(attribute, prior.get(name), prop, create, changed)
        } else {
            prop
        };
        out.insert(name.clone(), value);
    }
    for nested in &block.blocks {
        let name = &nested.type_name;
        let prop = proposed.get(name).cloned().unwrap_or(Value::Null);
        let cfg = config.get(name).cloned().unwrap_or(Value::Null);
        let pri = prior.get(name).cloned().unwrap_or(Value::Null);
        let value = match (nested.nesting, &prop) {
            (Nesting::Single | Nesting::Group, Value::Object(_)) => fill_block(&nested.block, &pri, &prop, &cfg, create || pri.is_null(), changed),
            (Nesting::List, Value::List(items)) => {
                let prior_items = match &pri { Value::List(p) => p.as_slice(), _ => &[] };
                let config_items = match &cfg { Value::List(c) => c.as_slice(), _ => &[] };
                Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            let p = prior_items.get(i).cloned().unwrap_or(Value::Null);
                            let c = config_items.get(i).cloned().unwrap_or(Value::Null);
                            let element_create = create || p.is_null();
                            fill_block(&nested.block, &p, item, &c, element_create, changed)
                        })
                        .collect(),
                )
            }
            _ => prop,
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn computed_value(attribute: &Attribute, prior: Option<&Value>, proposed: Value, create: bool, changed: bool) -> Value {
    if let Some(default) = &attribute.default {
        return default.clone();
    }
    let keep_prior = attribute.has_modifier(|m| matches!(m, PlanModifier::UseStateForUnknown));
    let prior = prior.cloned().unwrap_or(Value::Null);
    if create {
        Value::Unknown
    } else if keep_prior && !prior.is_null() {
        prior
    } else if changed {
        Value::Unknown
    } else {
        proposed
    }
}

fn collect_replacements(block: &Block, prior: &Value, planned: &Value, path: &AttributePath, out: &mut Vec<AttributePath>) {
    if prior.is_null() || planned.is_null() {
        return;
    }
    for attribute in &block.attributes {
        let before = prior.get(&attribute.name).unwrap_or(&Value::Null);
        let after = planned.get(&attribute.name).unwrap_or(&Value::Null);
        if Value::semantically_equal(before, after) {
            continue;
        }
        let replace = attribute.modifiers.iter().any(|m| match m {
            PlanModifier::RequiresReplace => true,
            PlanModifier::RequiresReplaceIf(f, _) => f(before, after),
            PlanModifier::UseStateForUnknown => false,
        });
        if replace {
            out.push(path.clone().attr(attribute.name.clone()));
        }
    }
    for nested in &block.blocks {
        let before = prior.get(&nested.type_name).unwrap_or(&Value::Null);
        let after = planned.get(&nested.type_name).unwrap_or(&Value::Null);
        let block_path = path.clone().attr(nested.type_name.clone());
        match (nested.nesting, before, after) {
            (Nesting::Single | Nesting::Group, _, _) => collect_replacements(&nested.block, before, after, &block_path, out),
            (Nesting::List, Value::List(b), Value::List(a)) => {
                for (i, (pb, pa)) in b.iter().zip(a.iter()).enumerate() {
                    collect_replacements(&nested.block, pb, pa, &block_path.clone().index(i), out);
                }
                // A block added or removed where an attribute inside requires replacement.
                if b.len() != a.len() && block_requires_replace(&nested.block) {
                    out.push(block_path);
                }
            }
            _ => {
                if !Value::semantically_equal(before, after) && block_requires_replace(&nested.block) {
                    out.push(block_path);
                }
            }
        }
    }
}

fn block_requires_replace(block: &Block) -> bool {
    block.attributes.iter().any(|a| a.has_modifier(|m| matches!(m, PlanModifier::RequiresReplace)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock};

    fn block() -> Block {
        Block::new("t")
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(Attribute::string("name").required().requires_replace())
            .attribute(Attribute::number("size").optional())
            .attribute(Attribute::string("status").computed())
            .attribute(Attribute::string("mode").default("initial"))
            .block(NestedBlock::list("item", Block::new("i").attribute(Attribute::string("k").required()).attribute(Attribute::string("arn").computed())))
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = obj(&[("id", Value::Null), ("name", "a".into()), ("size", Value::Null), ("status", Value::Null), ("mode", Value::Null), ("item", Value::List(vec![obj(&[("k", "x".into()), ("arn", Value::Null)])]))]);
        let plan = plan_change(&block(), &Value::Null, &config, &config, Vec::new());
        assert_eq!(plan.planned.get("id"), Some(&Value::Unknown));
        assert_eq!(plan.planned.get("status"), Some(&Value::Unknown));
        assert_eq!(plan.planned.get("mode"), Some(&Value::from("initial")));
        let item = plan.planned.get("item").and_then(|l| l.as_list()).and_then(|l| l.first().cloned());
        assert_eq!(item.and_then(|i| i.get("arn").cloned()), Some(Value::Unknown));
        assert!(plan.requires_replace.is_empty());
    }

    fn prior() -> Value {
        obj(&[("id", "i-1".into()), ("name", "a".into()), ("size", 1.into()), ("status", "ACTIVE".into()), ("mode", "initial".into()), ("item", Value::List(vec![obj(&[("k", "x".into()), ("arn", "arn:1".into())])]))])
    }

    fn config_with(size: i64, name: &str) -> Value {
        obj(&[("id", Value::Null), ("name", name.into()), ("size", size.into()), ("status", Value::Null), ("mode", Value::Null), ("item", Value::List(vec![obj(&[("k", "x".into()), ("arn", Value::Null)])]))])
    }

    fn proposed_from(config: &Value) -> Value {
        // Terraform's proposal: configuration, with prior values where configuration is null on computed attributes.
        let mut p = config.clone();
        if let (Value::Object(p), Value::Object(pr)) = (&mut p, prior()) {
            for key in ["id", "status", "mode"] {
                p.insert(key.into(), pr[key].clone());
            }
            p.insert("item".into(), pr["item"].clone());
        }
        p
    }

    #[test]
    fn unchanged_object_keeps_computed_values() {
        let config = config_with(1, "a");
        let plan = plan_change(&block(), &prior(), &proposed_from(&config), &config, Vec::new());
        assert!(Value::semantically_equal(&plan.planned, &prior()), "{:?}", plan.planned);
    }

    #[test]
    fn changed_object_makes_computed_unknown_except_pinned() {
        let config = config_with(2, "a");
        let plan = plan_change(&block(), &prior(), &proposed_from(&config), &config, Vec::new());
        assert_eq!(plan.planned.get("id"), Some(&Value::from("i-1")));
        assert_eq!(plan.planned.get("status"), Some(&Value::Unknown));
        assert_eq!(plan.planned.get("mode"), Some(&Value::from("initial")));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn requires_replace_reports_the_path() {
        let config = config_with(1, "b");
        let plan = plan_change(&block(), &prior(), &proposed_from(&config), &config, Vec::new());
        assert_eq!(plan.requires_replace, vec![AttributePath::root("name")]);
    }
}
