//! The provider's managed resources, one module each.

pub mod asg_discovery_tags;
pub mod cluster_autoscaler_manifest;
pub mod hpa_check;
pub mod hpa_manifest;
pub mod keda_scaled_object_manifest;
pub mod karpenter_node_pool_manifest;
pub mod manifest;
pub mod manifest_files;
pub mod prometheus_adapter_manifest;
pub mod queue_exporter_manifest;
pub mod scaling_behavior;
pub mod scaling_schedule;
pub mod scheduled_action;
pub mod spot_node_group;

use std::sync::Arc;

use tfplugin::provider::Resource;

use manifest::Manifest;

/// Every resource type the provider offers.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(spot_node_group::SpotNodeGroup),
        Arc::new(asg_discovery_tags::AsgDiscoveryTags),
        Arc::new(scheduled_action::ScheduledActionResource),
        Arc::new(scaling_schedule::ScalingScheduleResource),
        Arc::new(Manifest::<hpa_manifest::HpaManifest>::new()),
        Arc::new(Manifest::<cluster_autoscaler_manifest::ClusterAutoscalerManifest>::new()),
        Arc::new(Manifest::<prometheus_adapter_manifest::PrometheusAdapterManifest>::new()),
        Arc::new(Manifest::<keda_scaled_object_manifest::KedaScaledObjectManifest>::new()),
        Arc::new(Manifest::<queue_exporter_manifest::QueueExporterManifest>::new()),
        Arc::new(Manifest::<karpenter_node_pool_manifest::KarpenterNodePoolManifest>::new()),
    ]
}
