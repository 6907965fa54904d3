//! The provider's data sources, one module each.

use std::sync::Arc;

use tfplugin::provider::DataSource;

pub mod cost_estimate;
pub mod hpa_simulation;

/// Every data source the provider offers.
pub fn all() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(hpa_simulation::HpaSimulation), Arc::new(cost_estimate::CostEstimate)]
}
