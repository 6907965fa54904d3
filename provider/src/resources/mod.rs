//! The provider's managed resources, one module each.

pub mod hpa_manifest;
pub mod manifest_files;

use std::sync::Arc;

use tfplugin::provider::Resource;

/// Every resource type the provider offers.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(hpa_manifest::HpaManifest)]
}
