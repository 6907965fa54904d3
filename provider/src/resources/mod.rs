//! The provider's managed resources, one module each.

pub mod asg_discovery_tags;

use std::sync::Arc;

use tfplugin::provider::Resource;

/// Every resource type the provider offers.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(asg_discovery_tags::AsgDiscoveryTags)]
}
