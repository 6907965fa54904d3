//! The pods of the scaled Deployment and the nodes they run on: pods start up for a fixed time
//! once scheduled, pods that do not fit stay pending, and the Cluster Autoscaler adds nodes for
//! them after a provisioning delay, up to the node group's maximum.
//!
//! Events between HPA syncs (a node joining, a pod turning ready) are applied at their exact
//! second, so "ready after N seconds" is exact rather than rounded to the sync period.
//! Conventions:
//! - Without a node model, capacity is unlimited: every pod is scheduled when created.
//! - The Cluster Autoscaler reacts when pods become pending (its 10 s scan and the instance's
//!   boot and join are all inside `provision_delay_seconds`), asks for just enough nodes for the
//!   pods that do not fit on ready or provisioning nodes, and never cancels a node it asked for.
//! - Nodes are not removed: Cluster Autoscaler scale-down needs at least
//!   `--scale-down-unneeded-time` (10 min) and `--scale-down-delay-after-add` (10 min).
//! - Scale-down removes pending pods first, then starting ones (newest first), then ready ones,
//!   the order a ReplicaSet uses.
//! - Pods running before t = 0 are ready; those that do not fit the initial nodes are pending.

use std::collections::VecDeque;

/// The node group the pods run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeModel {
    /// How many of the Deployment's pods one node holds (allocatable ÷ pod requests, after
    /// daemonsets).
    pub pods_per_node: u32,
    /// Nodes ready at t = 0.
    pub initial_nodes: u32,
    /// The node group's maximum size.
    pub max_nodes: u32,
    /// From the Cluster Autoscaler seeing a pending pod to the new node accepting pods.
    pub provision_delay_seconds: u32,
}

struct Nodes {
    model: NodeModel,
    ready: u32,
    /// When each node asked for becomes ready; ascending, since the delay is fixed.
    provisioning: VecDeque<u64>,
}

/// The pods and nodes at one moment, plus the exact history of the ready-pod count.
pub(crate) struct Cluster {
    startup_seconds: u64,
    nodes: Option<Nodes>,
    pending: u32,
    /// When each scheduled, not yet ready pod becomes ready; ascending.
    starting: VecDeque<u64>,
    ready: u32,
    /// (time, ready pods) at every change, beginning at t = 0.
    ready_history: Vec<(u64, u32)>,
}

impl Cluster {
    pub(crate) fn new(initial_pods: u32, startup_seconds: u32, nodes: Option<NodeModel>) -> Self {
        let mut cluster = Self {
            startup_seconds: u64::from(startup_seconds),
            nodes: nodes.map(|model| Nodes { model, ready: model.initial_nodes, provisioning: VecDeque::new() }),
            pending: 0,
            starting: VecDeque::new(),
            ready: 0,
            ready_history: Vec::new(),
        };
        let fits = initial_pods.min(cluster.free_slots());
        cluster.ready = fits;
        cluster.pending = initial_pods - fits;
        cluster.ready_history.push((0, fits));
        cluster.request_nodes(0);
        cluster
    }

    pub(crate) fn pods(&self) -> u32 {
        self.pending + self.starting_pods() + self.ready
    }

    pub(crate) fn ready(&self) -> u32 {
        self.ready
    }

    pub(crate) fn pending(&self) -> u32 {
        self.pending
    }

    pub(crate) fn nodes(&self) -> Option<u32> {
        self.nodes.as_ref().map(|n| n.ready)
    }

    pub(crate) fn ready_history(&self) -> &[(u64, u32)] {
        &self.ready_history
    }

    fn starting_pods(&self) -> u32 {
        u32::try_from(self.starting.len()).unwrap_or(u32::MAX)
    }

    fn free_slots(&self) -> u32 {
        match &self.nodes {
            None => u32::MAX,
            Some(n) => n.ready.saturating_mul(n.model.pods_per_node).saturating_sub(self.starting_pods() + self.ready),
        }
    }

    /// Applies every node and pod event up to and including `t`, in time order.
    pub(crate) fn advance_to(&mut self, t: u64) {
        loop {
            let node_at = self.nodes.as_ref().and_then(|n| n.provisioning.front().copied()).filter(|&at| at <= t);
            let pod_at = self.starting.front().copied().filter(|&at| at <= t);
            match (node_at, pod_at) {
                (Some(node), pod) if pod.is_none_or(|p| node <= p) => {
                    if let Some(nodes) = &mut self.nodes {
                        nodes.provisioning.pop_front();
                        nodes.ready += 1;
                    }
                    self.schedule_pending(node);
                }
                (_, Some(pod)) => {
                    self.starting.pop_front();
                    self.set_ready(pod, self.ready + 1);
                }
                _ => return,
            }
        }
    }

    /// Creates or removes pods so that the Deployment has `replicas` at time `t`.
    pub(crate) fn scale_to(&mut self, t: u64, replicas: u32) {
        let pods = self.pods();
        if replicas > pods {
            let new = replicas - pods;
            let scheduled = new.min(self.free_slots());
            self.start_pods(t, scheduled);
            self.pending += new - scheduled;
            self.request_nodes(t);
        } else {
            let mut remove = pods - replicas;
            let from_pending = remove.min(self.pending);
            self.pending -= from_pending;
            remove -= from_pending;
            while remove > 0 && self.starting.pop_back().is_some() {
                remove -= 1;
            }
            if remove > 0 {
                self.set_ready(t, self.ready.saturating_sub(remove));
            }
        }
    }

    fn schedule_pending(&mut self, t: u64) {
        let scheduled = self.pending.min(self.free_slots());
        self.pending -= scheduled;
        self.start_pods(t, scheduled);
    }

    fn start_pods(&mut self, t: u64, count: u32) {
        if count == 0 {
            return;
        }
        if self.startup_seconds == 0 {
            self.set_ready(t, self.ready + count);
        } else {
            let at = t + self.startup_seconds;
            self.starting.extend(std::iter::repeat_n(at, count as usize));
        }
    }

    fn set_ready(&mut self, t: u64, ready: u32) {
        self.ready = ready;
        match self.ready_history.last_mut() {
            Some(last) if last.0 == t => last.1 = ready,
            _ => self.ready_history.push((t, ready)),
        }
    }

    /// The Cluster Autoscaler's scale-up: nodes for the pods that fit nowhere, up to the maximum.
    fn request_nodes(&mut self, t: u64) {
        let pods = self.pods();
        let Some(nodes) = &mut self.nodes else { return };
        let ppn = nodes.model.pods_per_node.max(1);
        let coming = nodes.ready + u32::try_from(nodes.provisioning.len()).unwrap_or(u32::MAX);
        let unplaced = pods.saturating_sub(coming.saturating_mul(ppn));
        if unplaced == 0 {
            return;
        }
        let wanted = unplaced.div_ceil(ppn).min(nodes.model.max_nodes.saturating_sub(coming));
        let at = t + u64::from(nodes.model.provision_delay_seconds);
        nodes.provisioning.extend(std::iter::repeat_n(at, wanted as usize));
        if nodes.model.provision_delay_seconds == 0 {
            self.advance_to(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(pods_per_node: u32, initial_nodes: u32, max_nodes: u32, provision_delay_seconds: u32) -> Option<NodeModel> {
        Some(NodeModel { pods_per_node, initial_nodes, max_nodes, provision_delay_seconds })
    }

    #[test]
    fn pods_turn_ready_after_their_start_up_time() {
        let mut cluster = Cluster::new(2, 30, None);
        cluster.scale_to(0, 6);
        assert_eq!((cluster.pods(), cluster.ready()), (6, 2));
        cluster.advance_to(29);
        assert_eq!(cluster.ready(), 2);
        cluster.advance_to(30);
        assert_eq!(cluster.ready(), 6);
        assert_eq!(cluster.ready_history(), &[(0, 2), (30, 6)]);
    }

    #[test]
    fn pods_beyond_the_nodes_wait_for_the_cluster_autoscaler() {
        // 4 pods per node, 1 node, at most 3 nodes, nodes take 100 s, pods 10 s.
        let mut cluster = Cluster::new(2, 10, model(4, 1, 3, 100));
        cluster.scale_to(15, 14);
        // 2 more fit the first node; 10 pending; the autoscaler asks for 2 nodes (the maximum).
        assert_eq!((cluster.ready(), cluster.pending(), cluster.nodes()), (2, 10, Some(1)));
        cluster.advance_to(114);
        assert_eq!((cluster.ready(), cluster.pending(), cluster.nodes()), (4, 10, Some(1)));
        cluster.advance_to(115);
        assert_eq!((cluster.pending(), cluster.nodes()), (2, Some(3)));
        cluster.advance_to(125);
        assert_eq!(cluster.ready(), 12);
        assert_eq!(cluster.ready_history(), &[(0, 2), (25, 4), (125, 12)]);
        // The node group is full: the last two pods stay pending.
        cluster.advance_to(10_000);
        assert_eq!((cluster.ready(), cluster.pending()), (12, 2));
    }

    #[test]
    fn scale_down_removes_pending_then_starting_then_ready_pods() {
        let mut cluster = Cluster::new(4, 60, model(5, 1, 1, 60));
        cluster.scale_to(0, 8); // 1 starting, 3 pending
        assert_eq!((cluster.ready(), cluster.pending(), cluster.pods()), (4, 3, 8));
        cluster.scale_to(15, 5);
        assert_eq!((cluster.ready(), cluster.pending(), cluster.pods()), (4, 0, 5));
        cluster.scale_to(30, 3);
        assert_eq!((cluster.ready(), cluster.pods()), (3, 3));
        cluster.advance_to(100);
        assert_eq!(cluster.ready(), 3, "the removed starting pod never turns ready");
    }

    #[test]
    fn initial_pods_that_do_not_fit_are_pending_and_nodes_are_requested() {
        let mut cluster = Cluster::new(10, 0, model(4, 1, 10, 60));
        assert_eq!((cluster.ready(), cluster.pending()), (4, 6));
        cluster.advance_to(60);
        assert_eq!((cluster.ready(), cluster.pending(), cluster.nodes()), (10, 0, Some(3)));
    }
}
