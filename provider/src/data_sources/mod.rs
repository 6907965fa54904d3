//! The provider's data sources, one module each.

use std::sync::Arc;

use tfplugin::provider::DataSource;

/// Every data source the provider offers.
pub fn all() -> Vec<Arc<dyn DataSource>> {
    vec![]
}
