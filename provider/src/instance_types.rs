//! Sizes of the EC2 instance types spot node groups commonly mix, shipped with the provider so
//! plans can warn — without any AWS call — when one group mixes sizes. The Cluster Autoscaler
//! builds its node template from the group's first instance type, so a group whose types differ
//! in vCPU or memory is scaled on wrong numbers.
//!
//! Facts: vCPU count and memory (MiB) of each size as EC2's DescribeInstanceTypes reports them
//! (the "Instance type specifications" pages of the EC2 documentation give the same numbers in
//! GiB). Sizes from `large` up to the largest, `metal` included. A type missing here is simply
//! not checked.

/// One instance type's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceSize {
    /// Default vCPU count.
    pub vcpus: u32,
    /// Memory in MiB (`c5n.large` has 5.25 GiB, so GiB would not be whole).
    pub memory_mib: u32,
}

impl InstanceSize {
    /// The memory in GiB, for messages (`5.25`, `8`).
    pub fn memory_gib(&self) -> f64 {
        f64::from(self.memory_mib) / 1024.0
    }
}

/// `(family, [(size suffix, vCPUs, memory MiB)])`.
type Family = (&'static str, &'static [(&'static str, u32, u32)]);

/// MiB in `n` GiB.
const fn gib(n: u32) -> u32 {
    n * 1024
}

/// The table. Compute optimized (c), general purpose (m), memory optimized (r).
const FAMILIES: &[Family] = &[
    (
        "c5",
        &[
            ("large", 2, gib(4)),
            ("xlarge", 4, gib(8)),
            ("2xlarge", 8, gib(16)),
            ("4xlarge", 16, gib(32)),
            ("9xlarge", 36, gib(72)),
            ("12xlarge", 48, gib(96)),
            ("18xlarge", 72, gib(144)),
            ("24xlarge", 96, gib(192)),
            ("metal", 96, gib(192)),
        ],
    ),
    (
        "c5a",
        &[
            ("large", 2, gib(4)),
            ("xlarge", 4, gib(8)),
            ("2xlarge", 8, gib(16)),
            ("4xlarge", 16, gib(32)),
            ("8xlarge", 32, gib(64)),
            ("12xlarge", 48, gib(96)),
            ("16xlarge", 64, gib(128)),
            ("24xlarge", 96, gib(192)),
        ],
    ),
    (
        "c5n",
        &[
            ("large", 2, 5376), // 5.25 GiB
            ("xlarge", 4, 10752), // 10.5 GiB
            ("2xlarge", 8, gib(21)),
            ("4xlarge", 16, gib(42)),
            ("9xlarge", 36, gib(96)),
            ("18xlarge", 72, gib(192)),
            ("metal", 72, gib(192)),
        ],
    ),
    (
        "c5d",
        &[
            ("large", 2, gib(4)),
            ("xlarge", 4, gib(8)),
            ("2xlarge", 8, gib(16)),
            ("4xlarge", 16, gib(32)),
            ("9xlarge", 36, gib(72)),
            ("12xlarge", 48, gib(96)),
            ("18xlarge", 72, gib(144)),
            ("24xlarge", 96, gib(192)),
            ("metal", 96, gib(192)),
        ],
    ),
    (
        "c6i",
        &[
            ("large", 2, gib(4)),
            ("xlarge", 4, gib(8)),
            ("2xlarge", 8, gib(16)),
            ("4xlarge", 16, gib(32)),
            ("8xlarge", 32, gib(64)),
            ("12xlarge", 48, gib(96)),
            ("16xlarge", 64, gib(128)),
            ("24xlarge", 96, gib(192)),
            ("32xlarge", 128, gib(256)),
            ("metal", 128, gib(256)),
        ],
    ),
    (
        "c6a",
        &[
            ("large", 2, gib(4)),
            ("xlarge", 4, gib(8)),
            ("2xlarge", 8, gib(16)),
            ("4xlarge", 16, gib(32)),
            ("8xlarge", 32, gib(64)),
            ("12xlarge", 48, gib(96)),
            ("16xlarge", 64, gib(128)),
            ("24xlarge", 96, gib(192)),
            ("32xlarge", 128, gib(256)),
            ("48xlarge", 192, gib(384)),
            ("metal", 192, gib(384)),
        ],
    ),
    (
        "c7i",
        &[
            ("large", 2, gib(4)),
            ("xlarge", 4, gib(8)),
            ("2xlarge", 8, gib(16)),
            ("4xlarge", 16, gib(32)),
            ("8xlarge", 32, gib(64)),
            ("12xlarge", 48, gib(96)),
            ("16xlarge", 64, gib(128)),
            ("24xlarge", 96, gib(192)),
            ("48xlarge", 192, gib(384)),
            ("metal-24xl", 96, gib(192)),
            ("metal-48xl", 192, gib(384)),
        ],
    ),
    (
        "m5",
        &[
            ("large", 2, gib(8)),
            ("xlarge", 4, gib(16)),
            ("2xlarge", 8, gib(32)),
            ("4xlarge", 16, gib(64)),
            ("8xlarge", 32, gib(128)),
            ("12xlarge", 48, gib(192)),
            ("16xlarge", 64, gib(256)),
            ("24xlarge", 96, gib(384)),
            ("metal", 96, gib(384)),
        ],
    ),
    (
        "m5a",
        &[
            ("large", 2, gib(8)),
            ("xlarge", 4, gib(16)),
            ("2xlarge", 8, gib(32)),
            ("4xlarge", 16, gib(64)),
            ("8xlarge", 32, gib(128)),
            ("12xlarge", 48, gib(192)),
            ("16xlarge", 64, gib(256)),
            ("24xlarge", 96, gib(384)),
        ],
    ),
    (
        "m6i",
        &[
            ("large", 2, gib(8)),
            ("xlarge", 4, gib(16)),
            ("2xlarge", 8, gib(32)),
            ("4xlarge", 16, gib(64)),
            ("8xlarge", 32, gib(128)),
            ("12xlarge", 48, gib(192)),
            ("16xlarge", 64, gib(256)),
            ("24xlarge", 96, gib(384)),
            ("32xlarge", 128, gib(512)),
            ("metal", 128, gib(512)),
        ],
    ),
    (
        "m6a",
        &[
            ("large", 2, gib(8)),
            ("xlarge", 4, gib(16)),
            ("2xlarge", 8, gib(32)),
            ("4xlarge", 16, gib(64)),
            ("8xlarge", 32, gib(128)),
            ("12xlarge", 48, gib(192)),
            ("16xlarge", 64, gib(256)),
            ("24xlarge", 96, gib(384)),
            ("32xlarge", 128, gib(512)),
            ("48xlarge", 192, gib(768)),
            ("metal", 192, gib(768)),
        ],
    ),
    (
        "m7i",
        &[
            ("large", 2, gib(8)),
            ("xlarge", 4, gib(16)),
            ("2xlarge", 8, gib(32)),
            ("4xlarge", 16, gib(64)),
            ("8xlarge", 32, gib(128)),
            ("12xlarge", 48, gib(192)),
            ("16xlarge", 64, gib(256)),
            ("24xlarge", 96, gib(384)),
            ("48xlarge", 192, gib(768)),
            ("metal-24xl", 96, gib(384)),
            ("metal-48xl", 192, gib(768)),
        ],
    ),
    (
        "r5",
        &[
            ("large", 2, gib(16)),
            ("xlarge", 4, gib(32)),
            ("2xlarge", 8, gib(64)),
            ("4xlarge", 16, gib(128)),
            ("8xlarge", 32, gib(256)),
            ("12xlarge", 48, gib(384)),
            ("16xlarge", 64, gib(512)),
            ("24xlarge", 96, gib(768)),
            ("metal", 96, gib(768)),
        ],
    ),
    (
        "r6i",
        &[
            ("large", 2, gib(16)),
            ("xlarge", 4, gib(32)),
            ("2xlarge", 8, gib(64)),
            ("4xlarge", 16, gib(128)),
            ("8xlarge", 32, gib(256)),
            ("12xlarge", 48, gib(384)),
            ("16xlarge", 64, gib(512)),
            ("24xlarge", 96, gib(768)),
            ("32xlarge", 128, gib(1024)),
            ("metal", 128, gib(1024)),
        ],
    ),
];

/// The size of an instance type such as `c5.xlarge`, or `None` when the table does not know it.
pub fn size_of(instance_type: &str) -> Option<InstanceSize> {
    let (family, size) = instance_type.split_once('.')?;
    let (_, sizes) = FAMILIES.iter().find(|(name, _)| *name == family)?;
    let (_, vcpus, memory_mib) = sizes.iter().find(|(name, _, _)| *name == size)?;
    Some(InstanceSize { vcpus: *vcpus, memory_mib: *memory_mib })
}

/// Every instance type the table knows, as `family.size`.
pub fn known_types() -> impl Iterator<Item = String> {
    FAMILIES.iter().flat_map(|(family, sizes)| sizes.iter().map(move |(size, _, _)| format!("{family}.{size}")))
}

/// How a list of instance types disagrees in size: the first type (the one the Cluster
/// Autoscaler sizes nodes from) and each known type whose vCPU or memory differs from it.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeMismatch {
    pub first: String,
    pub first_size: InstanceSize,
    /// `(index in the list, type, its size)`.
    pub differing: Vec<(usize, String, InstanceSize)>,
}

/// Compares every known type with the first one. `None` when they agree, when the first type is
/// unknown, or when the list is empty; unknown later types are skipped.
pub fn size_mismatch<S: AsRef<str>>(types: &[S]) -> Option<SizeMismatch> {
    let first = types.first()?.as_ref();
    let first_size = size_of(first)?;
    let differing: Vec<_> = types
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, t)| size_of(t.as_ref()).filter(|s| *s != first_size).map(|s| (i, t.as_ref().to_string(), s)))
        .collect();
    if differing.is_empty() { None } else { Some(SizeMismatch { first: first.to_string(), first_size, differing }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_reference_rollout_types() {
        for t in ["c5.xlarge", "c5a.xlarge", "c5d.xlarge"] {
            assert_eq!(size_of(t), Some(InstanceSize { vcpus: 4, memory_mib: 8192 }), "{t}");
        }
        // c5n has more memory than its siblings: the reference rollout's Spot group mixes sizes.
        assert_eq!(size_of("c5n.xlarge"), Some(InstanceSize { vcpus: 4, memory_mib: 10752 }));
        assert_eq!(size_of("c5n.large").map(|s| s.memory_gib()), Some(5.25));
    }

    #[test]
    fn covers_every_family_from_large_up() {
        for family in ["c5", "c5a", "c5n", "c5d", "c6i", "c6a", "c7i", "m5", "m5a", "m6i", "m6a", "m7i", "r5", "r6i"] {
            assert!(size_of(&format!("{family}.large")).is_some(), "{family}.large");
            assert!(size_of(&format!("{family}.xlarge")).is_some(), "{family}.xlarge");
        }
        assert_eq!(size_of("m6a.48xlarge"), Some(InstanceSize { vcpus: 192, memory_mib: 786_432 }));
        assert_eq!(size_of("r6i.32xlarge"), Some(InstanceSize { vcpus: 128, memory_mib: 1_048_576 }));
        assert_eq!(size_of("c7i.metal-48xl"), Some(InstanceSize { vcpus: 192, memory_mib: 393_216 }));
    }

    #[test]
    fn memory_per_vcpu_is_constant_within_a_family() {
        // True of every family here but c5n (5.25 GiB per 2 vCPUs up to 4xlarge, 96 GiB per 36
        // above): a typo in one row shows up as a different ratio.
        for (family, sizes) in FAMILIES.iter().filter(|(f, _)| *f != "c5n") {
            let first = sizes[0].2 / sizes[0].1;
            for (size, vcpus, mib) in *sizes {
                assert_eq!(mib % vcpus, 0, "{family}.{size}");
                assert_eq!(mib / vcpus, first, "{family}.{size}: {mib} MiB for {vcpus} vCPUs");
            }
        }
        assert_eq!(size_of("c5n.9xlarge"), Some(InstanceSize { vcpus: 36, memory_mib: gib(96) }));
    }

    #[test]
    fn unknown_types_are_none() {
        assert_eq!(size_of("t3.medium"), None);
        assert_eq!(size_of("c5.nano"), None);
        assert_eq!(size_of("c5"), None);
        assert_eq!(size_of(""), None);
    }

    #[test]
    fn mismatch_names_the_differing_types() {
        let found = size_mismatch(&["c5.xlarge", "c5a.xlarge", "c5n.xlarge", "c5d.xlarge"]);
        let found = found.map(|m| (m.first, m.differing.into_iter().map(|(i, t, _)| (i, t)).collect::<Vec<_>>()));
        assert_eq!(found, Some(("c5.xlarge".to_string(), vec![(2, "c5n.xlarge".to_string())])));
        assert_eq!(size_mismatch(&["c5.xlarge", "c5a.xlarge", "c5d.xlarge", "c6i.xlarge"]), None);
        assert_eq!(size_mismatch(&["c5.xlarge", "m5.xlarge"]).map(|m| m.differing.len()), Some(1));
        assert_eq!(size_mismatch(&["c5.xlarge", "c5.2xlarge"]).map(|m| m.differing.len()), Some(1));
        // Unknown types skip the check.
        assert_eq!(size_mismatch(&["x9.huge", "c5.xlarge"]), None);
        assert_eq!(size_mismatch(&["c5.xlarge", "x9.huge"]), None);
        assert_eq!(size_mismatch::<&str>(&[]), None);
    }

    #[test]
    fn lists_known_types() {
        let all: Vec<String> = known_types().collect();
        assert!(all.contains(&"c5.xlarge".to_string()));
        assert_eq!(all.len(), FAMILIES.iter().map(|(_, s)| s.len()).sum::<usize>());
    }
}
