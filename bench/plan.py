"""Plan/apply/refresh benchmark: N manifest resources of our provider against N `null_resource`s
of the Go null provider 2.1.2, side by side in one run, at default parallelism and at
-parallelism=50, plus our provider's peak RSS during the plans.

A third workspace is the floor: N `example_null` (the `null_resource` shape: a `triggers` map
and an id, no IO) served by tfplugin's example provider. It costs Terraform core what any
resource of our SDK costs, so floor / null says how much of a ratio Terraform and the SDK leave
to the provider, and ours / floor what the manifest resource itself adds.

A fourth, the equal-state floor, is the same `example_null` with a padded `triggers` map whose
state per resource has as many bytes as ours (a multi-line string, as the manifest is): what
Terraform core spends on the size of the state and plan alone, separated from what our SDK and
resource spend per call (ours / equal-state floor).

A fifth, the equal-shape floor, is tfplugin's `example_shaped` serving our resource's very schema
(from `terraform providers schema -json`) with the same configuration, its computed attributes
filled at plan time with the values ours computes for one resource, and no work behind it: what
Terraform core spends on our schema's shape (attributes, nested blocks) and values, separated
from what our provider spends (ours / equal-shape floor).

After the timed runs, the largest N is planned and applied once more with TFPLUGIN_PROFILE set:
one line per provider RPC with the time spent decoding, planning, in the resource and encoding,
summed per RPC (the "profile" line of the output).

Every step alternates between the workspaces (ours, floor, null, ours, ...), so all see the
same machine load.

    python bench/plan.py REPO_ROOT OUR_PROVIDER_DIR [N ...]

OUR_PROVIDER_DIR is the cargo profile directory (target/release): it holds our provider and
examples/example_provider. BENCH_RUNS (default 3) runs per step, BENCH_STEPS (default
plan,apply,refresh) and BENCH_PARALLELISM (default 10,50) narrow a run while investigating.

Prints one JSON object per (N, parallelism) with the median wall seconds of the runs per step."""

import contextlib
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
STEPS = os.environ.get("BENCH_STEPS", "plan,apply,refresh").split(",")
PARALLELISM = [int(p) for p in os.environ.get("BENCH_PARALLELISM", "10,50").split(",")]
SIDES = ("ours", "floor", "equal", "shaped", "null")


def our_config(n: int) -> str:
    return f"""
terraform {{
  required_providers {{
    autoscale = {{ source = "autoscale/autoscale" }}
  }}
}}
provider "autoscale" {{
  region = "us-east-1"
}}
resource "autoscale_hpa_manifest" "bench" {{
  count        = {n}
  name         = "api-${{count.index}}"
  namespace    = "bench"
  min_replicas = 2
  max_replicas = 50
  target {{
    kind = "Deployment"
    name = "api-${{count.index}}"
  }}
  metric {{
    type                = "Resource"
    name                = "cpu"
    average_utilization = 70
  }}
  behavior {{
    scale_down {{
      stabilization_window_seconds = 300
      policy {{
        type           = "Percent"
        value          = 50
        period_seconds = 15
      }}
    }}
  }}
}}
"""


def floor_config(n: int, directory: pathlib.Path) -> str:
    return f"""
terraform {{
  required_providers {{
    example = {{ source = "tfplugin/example" }}
  }}
}}
provider "example" {{
  directory = "{directory}"
}}
resource "example_null" "bench" {{
  count    = {n}
  triggers = {{ name = "api-${{count.index}}" }}
}}
"""


def equal_config(n: int, directory: pathlib.Path, pad: str) -> str:
    return floor_config(n, directory).replace(
        'triggers = {{ name = "api-${{count.index}}" }}'.format(),
        'triggers = { name = "api-${count.index}", pad = local.pad }',
    ) + f"locals {{\n  pad = {json.dumps(pad)}\n}}\n"


def shaped_config(n: int, directory: pathlib.Path) -> str:
    provider = f'provider "example" {{\n  directory = "{directory}"\n}}'
    return (our_config(n).replace('autoscale = {{ source = "autoscale/autoscale" }}'.format(), 'example = { source = "tfplugin/example" }')
            .replace('provider "autoscale" {\n  region = "us-east-1"\n}', provider)
            .replace('resource "autoscale_hpa_manifest"', 'resource "example_shaped"'))


def shape_file(terraform: str, env: dict, work: pathlib.Path, path: pathlib.Path) -> None:
    """Our resource's schema and the computed values of one applied resource, for `example_shaped`."""
    scratch = pathlib.Path(tempfile.mkdtemp(dir=work))
    (scratch / "main.tf").write_text(our_config(1))
    schemas = json.loads(subprocess.run([terraform, "providers", "schema", "-json"], cwd=scratch, env=env, check=True,
                                        capture_output=True).stdout)
    block = next(iter(schemas["provider_schemas"].values()))["resource_schemas"]["autoscale_hpa_manifest"]["block"]
    subprocess.run([terraform, "apply", "-auto-approve", "-input=false", "-no-color"], cwd=scratch, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    applied = instance_attributes(scratch / "terraform.tfstate")
    computed = {name: applied[name] for name, attribute in block["attributes"].items()
                if attribute.get("computed") and applied.get(name) is not None}
    path.write_text(json.dumps({"block": block, "computed": computed}))


def instance_attributes(state_file: pathlib.Path) -> dict:
    state = json.loads(state_file.read_text())
    return state["resources"][0]["instances"][0]["attributes"]


def padding(ours_bytes: int, floor_bytes: int) -> str:
    """A manifest-like multi-line string whose JSON encoding adds `ours_bytes - floor_bytes`."""
    want = max(ours_bytes - floor_bytes, 0)
    line, pad = "  field: value-of-some-length\n", ""
    while len(json.dumps(pad)) - 2 < want:
        pad += line
    while pad and len(json.dumps(pad)) - 2 > want:
        pad = pad[:-1]
    return pad


def state_bytes(terraform: str, config: str, env: dict, work: pathlib.Path) -> int:
    """Applies `config` (one resource) in a scratch directory; the JSON size of its attributes."""
    scratch = pathlib.Path(tempfile.mkdtemp(dir=work))
    (scratch / "main.tf").write_text(config)
    subprocess.run([terraform, "apply", "-auto-approve", "-input=false", "-no-color"], cwd=scratch, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return len(json.dumps(instance_attributes(scratch / "terraform.tfstate")))


def profile(terraform: str, config: str, env: dict, work: pathlib.Path, flags: list[str]) -> dict:
    """Plans and applies `config` once with TFPLUGIN_PROFILE: per step, the wall time and per RPC
    the count and the summed microseconds of each phase."""
    scratch = pathlib.Path(tempfile.mkdtemp(dir=work))
    (scratch / "main.tf").write_text(config)
    out: dict = {}
    for step, cmd in (("plan", ["plan"]), ("apply", ["apply", "-auto-approve"])):
        log = scratch / f"{step}.jsonl"
        wall = timed([terraform, *cmd, *flags], str(scratch), {**env, "TFPLUGIN_PROFILE": str(log)})
        rpcs: dict = {}
        for line in log.read_text().splitlines() if log.exists() else []:
            record = json.loads(line)
            entry = rpcs.setdefault(record.pop("rpc"), {"count": 0})
            record.pop("type", None)
            entry["count"] += 1
            for key, micros in record.items():
                entry[key] = entry.get(key, 0) + micros
        out[step] = {"wall_s": round(wall, 3), "rpcs": rpcs}
    return out


def null_config(n: int) -> str:
    return f"""
terraform {{
  required_providers {{
    null = {{ source = "hashicorp/null", version = "2.1.2" }}
  }}
}}
resource "null_resource" "bench" {{
  count    = {n}
  triggers = {{ name = "api-${{count.index}}" }}
}}
"""


def ancestors(pid: int) -> list[int]:
    """The parent, grandparent, ... of `pid` (Terraform runs its providers from a child copy of
    itself, so the terraform process measured is the grandparent)."""
    found = []
    for _ in range(4):
        try:
            # The parent pid follows the parenthesised command name in /proc/PID/stat.
            pid = int(pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        found.append(pid)
        if pid <= 1:
            break
    return found


class PeakRss:
    """Polls /proc for the provider processes named `needle` that descend from `parent` (the
    terraform process being measured) — not those of anything else running on the machine — and keeps the
    largest VmHWM seen (kB): the peak resident set, most of which is the executable's file-backed
    pages (shared, reclaimable page cache). Also the largest RssAnon sampled: the process's
    private memory."""

    def __init__(self, needle: str) -> None:
        self.needle = needle
        self.peak_kb = 0
        self.peak_anon_kb = 0
        self.parent: int | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            parent = self.parent
            if parent is None:
                time.sleep(0.02)
                continue
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    # The executable itself (argv[0]), not any process naming it in its arguments
                    # (such as `cargo build -p terraform-provider-autoscale`).
                    argv0 = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
                    if os.path.basename(argv0).decode(errors="replace") != self.needle:
                        continue
                    if parent not in ancestors(int(pid)):
                        continue
                    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                        elif line.startswith("RssAnon:"):
                            self.peak_anon_kb = max(self.peak_anon_kb, int(line.split()[1]))
                except (OSError, ValueError, IndexError):
                    continue
            time.sleep(0.02)

    def __enter__(self) -> "PeakRss":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def timed(cmd: list[str], cwd: str, env: dict, rss: PeakRss | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if rss is not None:
        rss.parent = proc.pid
    _, stderr = proc.communicate()
    elapsed = time.perf_counter() - started
    if rss is not None:
        rss.parent = None
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}: {stderr.decode()[-2000:]}")
    return elapsed


def dev_override_rc(path: pathlib.Path, source: str, directory: pathlib.Path) -> None:
    path.write_text(
        f'provider_installation {{\n  dev_overrides {{\n    "{source}" = "{directory}"\n  }}\n  direct {{}}\n}}\n'
    )


def provider_envs(work: pathlib.Path, provider_dir: pathlib.Path) -> tuple[dict, dict, dict]:
    """The environment every terraform run gets, and it with the CLI configuration that runs our
    provider (from `provider_dir`) and with the one that runs the floors (tfplugin's example
    provider, copied into `work`)."""
    ours_rc = work / "ours.tfrc"
    dev_override_rc(ours_rc, "autoscale/autoscale", provider_dir)
    # dev_overrides wants terraform-provider-<name> in the directory.
    floor_bin = work / "floor-bin"
    floor_bin.mkdir()
    shutil.copy2(provider_dir / "examples" / "example_provider", floor_bin / "terraform-provider-example")
    floor_rc = work / "floor.tfrc"
    dev_override_rc(floor_rc, "tfplugin/example", floor_bin)
    base_env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true"}
    return base_env, {**base_env, "TF_CLI_CONFIG_FILE": str(ours_rc)}, {**base_env, "TF_CLI_CONFIG_FILE": str(floor_rc)}


def main() -> None:
    root = pathlib.Path(sys.argv[1]).resolve()
    provider_dir = pathlib.Path(sys.argv[2]).resolve()
    counts = [int(n) for n in sys.argv[3:]] or [200, 1000]
    terraform = str(root / ".tools/bin/terraform")
    work = pathlib.Path(tempfile.mkdtemp(prefix="autoscale-bench-"))
    base_env, ours_env, floor_env = provider_envs(work, provider_dir)
    null_rc = work / "null.tfrc"
    null_rc.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{root / ".tools/null-mirror"}"\n  }}\n}}\n'
    )
    # The null provider runs from the mirror under its release file name.
    binaries = {"ours": "terraform-provider-autoscale", "floor": "terraform-provider-example",
                "equal": "terraform-provider-example", "shaped": "terraform-provider-example",
                "null": "terraform-provider-null_v2.1.2_x4"}
    # The equal-state floor's padding, from one resource of each applied once.
    ours_bytes = state_bytes(terraform, our_config(1), ours_env, work)
    floor_bytes = state_bytes(terraform, equal_config(1, work / "pad-store", ""), floor_env, work)
    pad = padding(ours_bytes, floor_bytes)
    equal_bytes = state_bytes(terraform, equal_config(1, work / "pad-store-2", pad), floor_env, work)
    shape = work / "shape.json"
    shape_file(terraform, ours_env, work, shape)
    shaped_env = {**floor_env, "EXAMPLE_SHAPE": str(shape)}
    shaped_bytes = state_bytes(terraform, shaped_config(1, work / "shaped-store"), shaped_env, work)
    results = []
    try:
        for n in counts:
            dirs = {name: work / f"{name}-{n}" for name in SIDES}
            for d in dirs.values():
                d.mkdir()
            (dirs["ours"] / "main.tf").write_text(our_config(n))
            (dirs["floor"] / "main.tf").write_text(floor_config(n, work / f"floor-store-{n}"))
            (dirs["equal"] / "main.tf").write_text(equal_config(n, work / f"equal-store-{n}", pad))
            (dirs["shaped"] / "main.tf").write_text(shaped_config(n, work / f"shaped-store-{n}"))
            (dirs["null"] / "main.tf").write_text(null_config(n))
            envs = {"shaped": shaped_env, "ours": ours_env, "floor": floor_env, "equal": floor_env,
                    "null": {**base_env, "TF_CLI_CONFIG_FILE": str(null_rc)}}
            subprocess.run([terraform, "init", "-input=false"], cwd=dirs["null"], env=envs["null"], check=True,
                           stdout=subprocess.DEVNULL)
            sides = [(name, dirs[name], envs[name]) for name in SIDES]
            for parallelism in PARALLELISM:
                flags = ["-input=false", "-no-color", f"-parallelism={parallelism}"]
                row: dict = {"resources": n, "parallelism": parallelism,
                             "state_bytes": {"ours": ours_bytes, "floor": floor_bytes, "equal": equal_bytes,
                                             "shaped": shaped_bytes}}
                times: dict = {name: {step: [] for step in STEPS} for name in SIDES}
                for _, cwd, _ in sides:
                    for path in cwd.glob("terraform.tfstate*"):
                        path.unlink()
                rss = {name: PeakRss(binary) for name, binary in binaries.items()}
                with contextlib.ExitStack() as monitors:
                    for monitor in rss.values():
                        monitors.enter_context(monitor)
                    for _ in range(RUNS if "plan" in STEPS else 0):
                        for name, cwd, env in sides:
                            times[name]["plan"].append(timed([terraform, "plan", *flags], str(cwd), env, rss[name]))
                if "apply" in STEPS or "refresh" in STEPS:
                    for name, cwd, env in sides:
                        elapsed = timed([terraform, "apply", "-auto-approve", *flags], str(cwd), env)
                        if "apply" in STEPS:
                            times[name]["apply"].append(elapsed)
                if "refresh" in STEPS:
                    for _ in range(RUNS):
                        for name, cwd, env in sides:
                            times[name]["refresh"].append(
                                timed([terraform, "apply", "-refresh-only", "-auto-approve", *flags], str(cwd), env))
                for name in SIDES:
                    row[name] = {f"{step}_s": round(statistics.median(samples), 3) for step, samples in times[name].items()}
                for name, monitor in rss.items():
                    if "plan" in STEPS:
                        row[name]["peak_rss_mb_during_plan"] = round(monitor.peak_kb / 1024, 1)
                        row[name]["peak_anon_mb_during_plan"] = round(monitor.peak_anon_kb / 1024, 1)
                for step in STEPS:
                    ours, floor, equal, shaped, null = (row[side][f"{step}_s"] for side in SIDES)
                    row[f"{step}_ratio"] = round(ours / null, 3)
                    row[f"{step}_floor_ratio"] = round(floor / null, 3)
                    row[f"{step}_ours_to_floor"] = round(ours / floor, 3)
                    row[f"{step}_equal_to_floor"] = round(equal / floor, 3)
                    row[f"{step}_ours_to_equal"] = round(ours / equal, 3)
                    row[f"{step}_shaped_to_floor"] = round(shaped / floor, 3)
                    row[f"{step}_ours_to_shaped"] = round(ours / shaped, 3)
                print(json.dumps(row), flush=True)
                results.append(row)
        if os.environ.get("BENCH_PROFILE", "1") == "1":
            n = max(counts)
            flags = ["-input=false", "-no-color", f"-parallelism={PARALLELISM[0]}"]
            print(json.dumps({"profile": profile(terraform, our_config(n), ours_env, work, flags), "resources": n,
                              "parallelism": PARALLELISM[0]}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
