"""Plan/apply/refresh benchmark: N manifest resources of our provider against N `null_resource`s
of the Go null provider 2.1.2, side by side in one run, at default parallelism and at
-parallelism=50, plus our provider's peak RSS during the plans.

Every step alternates between the two workspaces (ours, null, ours, null, ...), so both see the
same machine load; the ratios are ours / null.

    python bench/plan.py REPO_ROOT OUR_PROVIDER_DIR [N ...]

Prints one JSON object per (N, parallelism) with the median wall seconds of RUNS runs per step."""

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


class PeakRss:
    """Polls /proc for the provider process and keeps the largest VmHWM seen (kB) while
    `recording` is set."""

    def __init__(self, needle: str) -> None:
        self.needle = needle
        self.peak_kb = 0
        self.recording = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.recording.wait(0.05):
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
                    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except OSError:
                    continue
            time.sleep(0.02)

    def __enter__(self) -> "PeakRss":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def timed(cmd: list[str], cwd: str, env: dict) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}: {result.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    root = pathlib.Path(sys.argv[1]).resolve()
    provider_dir = pathlib.Path(sys.argv[2]).resolve()
    counts = [int(n) for n in sys.argv[3:]] or [200, 1000]
    terraform = str(root / ".tools/bin/terraform")
    work = pathlib.Path(tempfile.mkdtemp(prefix="autoscale-bench-"))
    ours_rc = work / "ours.tfrc"
    ours_rc.write_text(
        f'provider_installation {{\n  dev_overrides {{\n    "autoscale/autoscale" = "{provider_dir}"\n  }}\n  direct {{}}\n}}\n'
    )
    null_rc = work / "null.tfrc"
    null_rc.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{root / ".tools/null-mirror"}"\n  }}\n}}\n'
    )
    base_env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true"}
    results = []
    try:
        for n in counts:
            ours_dir, null_dir = work / f"ours-{n}", work / f"null-{n}"
            ours_dir.mkdir()
            null_dir.mkdir()
            (ours_dir / "main.tf").write_text(our_config(n))
            (null_dir / "main.tf").write_text(null_config(n))
            ours_env = {**base_env, "TF_CLI_CONFIG_FILE": str(ours_rc)}
            null_env = {**base_env, "TF_CLI_CONFIG_FILE": str(null_rc)}
            subprocess.run([terraform, "init", "-input=false"], cwd=null_dir, env=null_env, check=True,
                           stdout=subprocess.DEVNULL)
            sides = (("ours", ours_dir, ours_env), ("null", null_dir, null_env))
            for parallelism in (10, 50):
                flags = ["-input=false", "-no-color", f"-parallelism={parallelism}"]
                row: dict = {"resources": n, "parallelism": parallelism}
                times: dict = {name: {"plan": [], "apply": [], "refresh": []} for name, _, _ in sides}
                for _, cwd, _ in sides:
                    for path in cwd.glob("terraform.tfstate*"):
                        path.unlink()
                rss = PeakRss("terraform-provider-autoscale")
                with rss:
                    for _ in range(RUNS):
                        for name, cwd, env in sides:
                            if name == "ours":
                                rss.recording.set()
                            times[name]["plan"].append(timed([terraform, "plan", *flags], str(cwd), env))
                            rss.recording.clear()
                for name, cwd, env in sides:
                    times[name]["apply"].append(timed([terraform, "apply", "-auto-approve", *flags], str(cwd), env))
                for _ in range(RUNS):
                    for name, cwd, env in sides:
                        times[name]["refresh"].append(
                            timed([terraform, "apply", "-refresh-only", "-auto-approve", *flags], str(cwd), env))
                for name, _, _ in sides:
                    row[name] = {f"{step}_s": round(statistics.median(samples), 3) for step, samples in times[name].items()}
                row["ours"]["peak_rss_mb_during_plan"] = round(rss.peak_kb / 1024, 1)
                for step in ("plan", "apply", "refresh"):
                    row[f"{step}_ratio"] = round(row["ours"][f"{step}_s"] / row["null"][f"{step}_s"], 3)
                print(json.dumps(row), flush=True)
                results.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
