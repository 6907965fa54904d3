//! The pods of the scaled Deployment and the nodes they run on: pods start up for a fixed time
//! once scheduled, pods that do not fit stay pending, and a node autoscaler adds nodes for them
//! after a provisioning delay — the Cluster Autoscaler (whole nodes of the group's size, up to its
//! maximum) or Karpenter (pending pods batched, then nodes sized for the batch, up to the
//! NodePool's limits).
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
//! - Karpenter (settings `--batch-idle-duration`, `--batch-max-duration`): the first pending pod
//!   that fits no ready or launching node opens a batch; each further one extends it to `idle`
//!   seconds after its arrival, but never past `max` seconds after the batch opened. When the
//!   batch closes, Karpenter launches nodes for every pod still without a place: full nodes of
//!   the largest size (`pods_per_node`) and one node sized for the rest, all ready
//!   `provision_delay_seconds` later. Its limits cap the pods all nodes together can hold at
//!   `max_nodes × pods_per_node` (the NodePool's limits in nodes of the largest size); a node for
//!   a small remainder counts as a node, so the node count may pass `max_nodes`. Nodes are never
//!   removed (consolidation is not modelled).

use std::collections::VecDeque;

/// Who adds nodes when pods are pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Provisioner {
    /// Whole nodes of the group's size as soon as pods are pending, up to `max_nodes`.
    #[default]
    ClusterAutoscaler,
    /// Pending pods batched, then nodes sized for the batch, up to the limits.
    Karpenter {
        /// `--batch-idle-duration` in seconds (default 1).
        batch_idle_seconds: u32,
        /// `--batch-max-duration` in seconds (default 10).
        batch_max_seconds: u32,
    },
}

impl Provisioner {
    /// Karpenter with its default batching (1 s idle, 10 s at most).
    pub const KARPENTER: Provisioner = Provisioner::Karpenter { batch_idle_seconds: 1, batch_max_seconds: 10 };
}

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
    provisioner: Provisioner,
    ready: u32,
    /// Pods the ready nodes hold together (nodes Karpenter sized for a small batch hold fewer).
    ready_slots: u32,
    /// When each node asked for becomes ready, and the pods it holds; ascending, since the delay
    /// is fixed.
    provisioning: VecDeque<(u64, u32)>,
    /// Karpenter's open batch: when it opened and when it closes.
    batch: Option<(u64, u64)>,
}

impl Nodes {
    fn coming_nodes(&self) -> u32 {
        self.ready + u32::try_from(self.provisioning.len()).unwrap_or(u32::MAX)
    }

    fn coming_slots(&self) -> u32 {
        self.provisioning.iter().fold(self.ready_slots, |sum, (_, slots)| sum.saturating_add(*slots))
    }
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
    pub(crate) fn new(initial_pods: u32, startup_seconds: u32, nodes: Option<NodeModel>, provisioner: Provisioner) -> Self {
        let mut cluster = Self {
            startup_seconds: u64::from(startup_seconds),
            nodes: nodes.map(|model| Nodes {
                model,
                provisioner,
                ready: model.initial_nodes,
                ready_slots: model.initial_nodes.saturating_mul(model.pods_per_node),
                provisioning: VecDeque::new(),
                batch: None,
            }),
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
            Some(n) => n.ready_slots.saturating_sub(self.starting_pods() + self.ready),
        }
    }

    /// Applies every node, pod and batch event up to and including `t`, in time order (at equal
    /// times: a node joining, then pods turning ready, then a batch closing).
    pub(crate) fn advance_to(&mut self, t: u64) {
        loop {
            let node_at = self.nodes.as_ref().and_then(|n| n.provisioning.front().map(|(at, _)| *at)).filter(|&at| at <= t);
            let pod_at = self.starting.front().copied().filter(|&at| at <= t);
            let batch_at = self.nodes.as_ref().and_then(|n| n.batch.map(|(_, close)| close)).filter(|&at| at <= t);
            let first = [node_at, pod_at, batch_at].into_iter().flatten().min();
            match first {
                Some(at) if node_at == Some(at) => {
                    if let Some(nodes) = &mut self.nodes
                        && let Some((_, slots)) = nodes.provisioning.pop_front() {
                            nodes.ready += 1;
                            nodes.ready_slots = nodes.ready_slots.saturating_add(slots);
                        }
                    self.schedule_pending(at);
                }
                Some(at) if pod_at == Some(at) => {
                    self.starting.pop_front();
                    self.set_ready(at, self.ready + 1);
                }
                Some(at) => self.close_batch(at),
                None => return,
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

    /// Pods that fit neither ready nor launching nodes.
    fn unplaced(&self) -> u32 {
        let pods = self.pods();
        self.nodes.as_ref().map_or(0, |n| pods.saturating_sub(n.coming_slots()))
    }

    /// Pods became pending at `t`: the Cluster Autoscaler asks for nodes at once, Karpenter opens
    /// or extends its batch.
    fn request_nodes(&mut self, t: u64) {
        let unplaced = self.unplaced();
        let Some(nodes) = &mut self.nodes else { return };
        if unplaced == 0 {
            return;
        }
        match nodes.provisioner {
            Provisioner::ClusterAutoscaler => {
                let ppn = nodes.model.pods_per_node.max(1);
                let wanted = unplaced.div_ceil(ppn).min(nodes.model.max_nodes.saturating_sub(nodes.coming_nodes()));
                let at = t + u64::from(nodes.model.provision_delay_seconds);
                nodes.provisioning.extend(std::iter::repeat_n((at, ppn), wanted as usize));
                if nodes.model.provision_delay_seconds == 0 {
                    self.advance_to(t);
                }
            }
            Provisioner::Karpenter { batch_idle_seconds, batch_max_seconds } => {
                let opened = nodes.batch.map_or(t, |(opened, _)| opened);
                let close = (t + u64::from(batch_idle_seconds)).min(opened + u64::from(batch_max_seconds));
                nodes.batch = Some((opened, close));
                if close <= t {
                    self.advance_to(t);
                }
            }
        }
    }

    /// Karpenter's batch closes at `t`: nodes for every pod without a place, full nodes of the
    /// largest size and one sized for the rest, within the limits.
    fn close_batch(&mut self, t: u64) {
        let unplaced = self.unplaced();
        let Some(nodes) = &mut self.nodes else { return };
        nodes.batch = None;
        let ppn = nodes.model.pods_per_node.max(1);
        let limit = nodes.model.max_nodes.saturating_mul(ppn);
        let pods = unplaced.min(limit.saturating_sub(nodes.coming_slots()));
        let at = t + u64::from(nodes.model.provision_delay_seconds);
        nodes.provisioning.extend(std::iter::repeat_n((at, ppn), (pods / ppn) as usize));
        if pods % ppn > 0 {
            nodes.provisioning.push_back((at, pods % ppn));
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
        let mut cluster = Cluster::new(2, 30, None, Provisioner::ClusterAutoscaler);
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
        let mut cluster = Cluster::new(2, 10, model(4, 1, 3, 100), Provisioner::ClusterAutoscaler);
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
        let mut cluster = Cluster::new(4, 60, model(5, 1, 1, 60), Provisioner::ClusterAutoscaler);
        cluster.scale_to(0, 8); // 1 starting, 3 pending
        assert_eq!((cluster.ready(), cluster.pending(), cluster.pods()), (4, 3, 8));
        cluster.scale_to(15, 5);
        assert_eq!((cluster.ready(), cluster.pending(), cluster.pods()), (4, 0, 5));
        cluster.scale_to(30, 3);
        assert_eq!((cluster.ready(), cluster.pods()), (3, 3));
        cluster.advance_to(100);
        assert_eq!(cluster.ready(), 3, "the removed starting pod never turns ready");
    }

    /// Hand-computed: 10 pods fill the one 10-pod node; 6 more at 15 s open a batch that closes
    /// 1 s later (no pod follows within the idle second); one node sized for 6 is ready 60 s
    /// after that (76 s), the pods 10 s later (86 s).
    #[test]
    fn karpenter_launches_one_node_for_a_batch_that_fits_it() {
        let mut cluster = Cluster::new(10, 10, model(10, 1, 5, 60), Provisioner::KARPENTER);
        cluster.scale_to(15, 16);
        assert_eq!((cluster.pending(), cluster.nodes()), (6, Some(1)));
        cluster.advance_to(75);
        assert_eq!((cluster.pending(), cluster.nodes()), (6, Some(1)), "the node is not ready before 76 s");
        cluster.advance_to(76);
        assert_eq!((cluster.pending(), cluster.nodes(), cluster.ready()), (0, Some(2), 10));
        cluster.advance_to(86);
        assert_eq!(cluster.ready_history(), &[(0, 10), (86, 16)]);
    }

    /// Hand-computed, batching 5 s idle and 10 s at most, 4 pods per node: pods pending at 0, 3
    /// and 7 s keep the batch open (closing at 5, then 8, then min(12, 0 + 10) = 10 s); at 10 s
    /// the 15 pods without a place get 3 full nodes and one sized for 3, ready at 70 s.
    #[test]
    fn karpenter_extends_the_batch_and_splits_it_over_several_nodes() {
        let mut cluster = Cluster::new(4, 0, model(4, 1, 10, 60), Provisioner::Karpenter { batch_idle_seconds: 5, batch_max_seconds: 10 });
        cluster.scale_to(0, 9);
        cluster.scale_to(3, 14);
        cluster.scale_to(7, 19);
        cluster.advance_to(9);
        assert_eq!((cluster.pending(), cluster.nodes()), (15, Some(1)), "the batch is still open at 9 s");
        cluster.advance_to(69);
        assert_eq!((cluster.pending(), cluster.nodes()), (15, Some(1)));
        cluster.advance_to(70);
        assert_eq!((cluster.pending(), cluster.nodes(), cluster.ready()), (0, Some(5), 19));
        assert_eq!(cluster.ready_history(), &[(0, 4), (70, 19)]);
    }

    /// Limits of 3 nodes' worth (12 pods): 16 pending pods get 8 places on 2 new nodes; 8 stay
    /// pending for good.
    #[test]
    fn karpenter_stops_at_its_limits() {
        let mut cluster = Cluster::new(4, 0, model(4, 1, 3, 60), Provisioner::KARPENTER);
        cluster.scale_to(0, 20);
        cluster.advance_to(61);
        assert_eq!((cluster.ready(), cluster.pending(), cluster.nodes()), (12, 8, Some(3)));
        cluster.scale_to(120, 22);
        cluster.advance_to(1_000);
        assert_eq!((cluster.ready(), cluster.pending(), cluster.nodes()), (12, 10, Some(3)));
    }

    #[test]
    fn initial_pods_that_do_not_fit_are_pending_and_nodes_are_requested() {
        let mut cluster = Cluster::new(10, 0, model(4, 1, 10, 60), Provisioner::ClusterAutoscaler);
        assert_eq!((cluster.ready(), cluster.pending()), (4, 6));
        cluster.advance_to(60);
        assert_eq!((cluster.ready(), cluster.pending(), cluster.nodes()), (10, 0, Some(3)));
    }
}
