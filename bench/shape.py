"""Where Terraform core's plan time goes for our schema's shape (part of `make bench`).

The equal-shape floor (plan.py) shows that 1000 `autoscale_hpa_manifest` plan as slowly with no
provider work behind them as with ours. This script says which part of the shape costs it, two
ways, and prints one JSON object:

- a sweep: the equal-shape floor (tfplugin's `example_shaped`) serving our schema whole, then with
  parts removed from both schema and configuration — the `behavior` block, every nested block, the
  top-level attributes down to seven — planned alternately with the floor (`example_null`), so each
  variant's time is a ratio to the floor of the same run;
- a CPU profile of the `terraform` process itself (Go keeps frame pointers, so `perf record -g`
  gives whole call stacks) planning the whole shape: the share of its samples under the Terraform
  functions that handle a resource's values. Taken only when `perf` is installed; the report says
  so when it is not.

    python bench/shape.py ROOT PROVIDER_DIR [N]
"""

import copy
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import plan  # noqa: E402  (the peers' configurations and the timing helpers)

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PARALLELISM = 10

# Terraform functions whose inclusive share of the profile is reported, with what each is. The
# package prefix `github.com/hashicorp/terraform/internal/` is dropped when matching.
FUNCTIONS = [
    ("command/views.renderPlan", "printing the plan (the human-readable diff)"),
    ("command/format.ctyGetAttrMaybeNull", "… of it: reading one attribute for the diff, which first walks the whole object for marks (once per attribute)"),
    ("terraform.(*NodeAbstractResourceInstance).plan", "planning one instance (below: its parts)"),
    ("terraform.(*BuiltinEvalContext).EvaluateBlock", "decoding and evaluating the resource's configuration block"),
    ("configs/configschema.(*Block).ImpliedType", "the schema's value type, rebuilt on each use"),
    ("plugin6.(*GRPCProvider).PlanResourceChange", "the PlanResourceChange call, msgpack both ways included"),
    ("plugin6.(*GRPCProvider).ValidateResourceConfig", "the ValidateResourceConfig call"),
    ("plans/objchange.NormalizeObjectFromLegacySDK", "normalising the planned value"),
    ("terraform.(*NodeAbstractResourceInstance).writeResourceInstanceStateImpl", "keeping the planned object in the working state"),
    ("runtime.mallocgc", "allocating memory, with the garbage-collection work allocation triggers"),
]
PREFIX = "github.com/hashicorp/terraform/internal/"


def strip_blocks(config: str, names: set[str]) -> str:
    """`config` without the resource's top-level blocks named in `names` (two-space indented)."""
    out, skipping = [], False
    for line in config.splitlines(keepends=True):
        if not skipping and any(line.startswith(f"  {name} {{") for name in names):
            skipping = True
            continue
        if skipping:
            skipping = not line.startswith("  }")
            continue
        out.append(line)
    return "".join(out)


def variants(shape: dict) -> list[tuple[str, str, dict, set[str]]]:
    """(name, what it is, shape file content, blocks the configuration leaves out) for each point
    of the sweep."""
    block = shape["block"]
    every_block = set(block.get("block_types", {}))
    # The seven the smallest sensible manifest resource keeps: an id, a name and namespace, the
    # replica bounds, the rendered text and its hash.
    seven = {"id", "name", "namespace", "min_replicas", "max_replicas", "yaml", "sha256"}

    def without(blocks: set[str], keep_attributes: set[str] | None = None) -> dict:
        s = copy.deepcopy(shape)
        s["block"]["block_types"] = {k: v for k, v in block.get("block_types", {}).items() if k not in blocks}
        if keep_attributes is not None:
            s["block"]["attributes"] = {k: v for k, v in block["attributes"].items() if k in keep_attributes}
            s["computed"] = {k: v for k, v in shape["computed"].items() if k in keep_attributes}
        return s

    return [
        ("whole", f"our schema as it is: {len(block['attributes'])} top-level attributes, blocks {', '.join(sorted(every_block))}",
         shape, set()),
        ("no check", "without the `check` block (unused by this configuration)", without({"check"}), set()),
        ("no behavior", "without the `behavior` block (schema and configuration)", without({"behavior"}), {"behavior"}),
        ("no blocks", f"without any nested block: the {len(block['attributes'])} top-level attributes only",
         without(every_block), every_block),
        ("seven attributes", "no nested block and only " + ", ".join(sorted(seven)), without(every_block, seven),
         every_block),
    ]


def perf_profile(terraform: str, cwd: pathlib.Path, env: dict, scratch: pathlib.Path) -> dict:
    """Inclusive shares (% of the terraform process's samples) of FUNCTIONS during one plan."""
    data = scratch / "perf.data"
    subprocess.run(["perf", "record", "-q", "-F", "2000", "-g", "-o", str(data), "--", terraform, "plan", "-input=false",
                    "-no-color", f"-parallelism={PARALLELISM}"], cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--children", "--sort", "symbol", "-g", "none",
                             "--comm", "terraform", "--percentage", "relative"], capture_output=True, text=True, check=True).stdout
    shares: dict[str, float] = {}
    for line in report.splitlines():
        # "    27.26%     0.04%  [.] github.com/.../views.renderPlan   -   -"
        match = re.match(r"\s*([\d.]+)%\s+[\d.]+%\s+\[\.\]\s+(\S+)", line)
        if match:
            name = match.group(2).removeprefix(PREFIX)
            shares.setdefault(name, float(match.group(1)))
    return {"functions": [{"function": name, "what": what, "percent": shares.get(name)} for name, what in FUNCTIONS]}


def main() -> None:
    root = pathlib.Path(sys.argv[1]).resolve()
    provider_dir = pathlib.Path(sys.argv[2]).resolve()
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    terraform = str(root / ".tools/bin/terraform")
    work = pathlib.Path(tempfile.mkdtemp(prefix="autoscale-shape-"))
    try:
        _, ours_env, floor_env = plan.provider_envs(work, provider_dir)
        shape_path = work / "shape.json"
        plan.shape_file(terraform, ours_env, work, shape_path)
        shape = json.loads(shape_path.read_text())

        sides = []
        floor_dir = work / "floor"
        floor_dir.mkdir()
        (floor_dir / "main.tf").write_text(plan.floor_config(n, work / "floor-store"))
        sides.append(("floor", "`example_null`: a `triggers` map and an id", floor_dir, floor_env))
        for index, (name, what, variant_shape, left_out) in enumerate(variants(shape)):
            directory = work / f"variant-{index}"
            directory.mkdir()
            (directory / "shape.json").write_text(json.dumps(variant_shape))
            (directory / "main.tf").write_text(strip_blocks(plan.shaped_config(n, directory / "store"), left_out))
            sides.append((name, what, directory, {**floor_env, "EXAMPLE_SHAPE": str(directory / "shape.json")}))

        flags = ["-input=false", "-no-color", f"-parallelism={PARALLELISM}"]
        times: dict[str, list[float]] = {name: [] for name, *_ in sides}
        for _ in range(RUNS):
            for name, _, directory, env in sides:
                times[name].append(plan.timed([terraform, "plan", *flags], str(directory), env))
        floor = statistics.median(times["floor"])
        rows = [{"variant": name, "what": what, "plan_s": round(statistics.median(times[name]), 3),
                 "to_floor": round(statistics.median(times[name]) / floor, 3)} for name, what, *_ in sides]

        result: dict = {"resources": n, "parallelism": PARALLELISM, "runs": RUNS, "sweep": rows}
        if shutil.which("perf"):
            whole_dir, whole_env = sides[1][2], sides[1][3]
            result["profile"] = perf_profile(terraform, whole_dir, whole_env, work)
        else:
            result["profile"] = None
        print(json.dumps(result), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
