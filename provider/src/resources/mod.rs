//! The provider's managed resources, one module each.

pub mod scaling_schedule;
pub mod scheduled_action;

use std::sync::Arc;

use tfplugin::provider::Resource;

/// Every resource type the provider offers.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(scheduled_action::ScheduledActionResource), Arc::new(scaling_schedule::ScalingScheduleResource)]
}
