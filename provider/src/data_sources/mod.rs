//! The provider's data sources, one module each.

use std::sync::Arc;

use tfplugin::provider::DataSource;

pub mod cost_estimate;
pub mod hpa_simulation;

/// Every data source the provider offers.
pub fn all() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(hpa_simulation::HpaSimulation), Arc::new(cost_estimate::CostEstimate)]
}

/// A configuration object as Terraform sends it for `schema`: every attribute and block present
/// (null, or an empty list for list blocks), with `set` filled in. For the data sources' tests.
#[cfg(test)]
pub(crate) fn test_config(schema: &tfplugin::schema::Schema, set: &[(&str, tfplugin::value::Value)]) -> tfplugin::value::Value {
    use tfplugin::value::Value;
    let mut fields = std::collections::BTreeMap::new();
    for a in &schema.block.attributes {
        fields.insert(a.name.clone(), Value::Null);
    }
    for b in &schema.block.blocks {
        let empty = if b.nesting == tfplugin::schema::Nesting::List { Value::List(Vec::new()) } else { Value::Null };
        fields.insert(b.type_name.clone(), empty);
    }
    for (k, v) in set {
        fields.insert((*k).to_string(), v.clone());
    }
    Value::Object(fields)
}
