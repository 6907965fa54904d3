//! The provider's managed resources, one module each.

use std::sync::Arc;

use tfplugin::provider::Resource;

pub mod spot_node_group;

/// Every resource type the provider offers.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(spot_node_group::SpotNodeGroup)]
}
