"""Whole-suite IAM check (run by scripts/test.sh after the tests): every AWS action the provider
called on the shared emulator must be allowed by the policy `terraform-provider-autoscale
iam-policy` prints. The provider's calls are those carrying its SDK app name; the tests' own
clients send none. Exits 1 naming each action the policy lacks.

    python scripts/check-iam-calls.py EMULATOR_URL POLICY_JSON_FILE
"""

from __future__ import annotations

import json
import sys
import urllib.request

APP_NAME = "terraform-provider-autoscale"  # provider/src/aws/mod.rs APP_NAME


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    endpoint, policy_path = argv[1].rstrip("/"), argv[2]
    with open(policy_path, encoding="utf-8") as f:
        policy = json.load(f)
    allowed = {action for statement in policy["Statement"] for action in statement["Action"]}
    with urllib.request.urlopen(f"{endpoint}/_emulator/calls/apps", timeout=30) as response:
        by_app = json.load(response)
    calls = by_app.get(APP_NAME, {})
    if not calls:
        # Nothing recorded means the check would prove nothing: the app name is not reaching AWS.
        print(f"no call by {APP_NAME} was recorded; apps seen: {sorted(by_app)}", file=sys.stderr)
        return 1
    denied = sorted(action for action in calls if action not in allowed)
    for action in denied:
        print(f"the provider called {action} ({calls[action]} times), which the IAM policy does not allow", file=sys.stderr)
    if denied:
        return 1
    print(f"{len(calls)} actions, {sum(calls.values())} calls by the provider: all in the IAM policy")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
