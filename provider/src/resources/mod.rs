//! The provider's managed resources, one module each.

use std::sync::Arc;

use tfplugin::provider::Resource;

/// Every resource type the provider offers.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![]
}
