"""Summarise a `terraform show -json` plan: one block per drifted resource, naming each attribute
whose planned value differs from the refreshed one (`resource_drift` when Terraform reports it,
else the planned `resource_changes`). Standard library only, so any CI image can run it."""

import json
import re
import sys

SENSITIVE = "(sensitive)"


IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def flatten(value, prefix=""):
    """Flattens nested JSON into {"a.b[0].c": leaf}; map keys that are not identifiers are
    written as Terraform writes them, tags["k8s.io/cluster-autoscaler/enabled"]."""
    out = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            if not IDENTIFIER.match(key):
                path = f"{prefix}[{json.dumps(key)}]"
            else:
                path = f"{prefix}.{key}" if prefix else key
            out.update(flatten(inner, path))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}[{index}]"))
        if not value:
            out[prefix] = []
    else:
        out[prefix] = value
    return out


def changed_attributes(change):
    before = flatten(change.get("before") or {})
    after = flatten(change.get("after") or {})
    unknown = flatten(change.get("after_unknown") or {})
    names = []
    for key in sorted(set(before) | set(after)):
        if unknown.get(key) is True:
            names.append((key, before.get(key), "(known after apply)"))
        elif before.get(key) != after.get(key):
            names.append((key, before.get(key), after.get(key)))
    return names


def show(value):
    if value is None:
        return "(absent)"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def main(path):
    with open(path, encoding="utf-8") as handle:
        plan = json.load(handle)
    drifted = [c for c in plan.get("resource_drift", []) if c["change"]["actions"] != ["no-op"]]
    planned = [c for c in plan.get("resource_changes", []) if c["change"]["actions"] not in (["no-op"], ["read"])]
    print(f"Drift detected: {len(planned)} resource(s) would change.")
    for change in planned:
        actions = "/".join(change["change"]["actions"])
        print(f"\n  {change['address']}  ({actions})")
        if change["change"]["actions"] == ["create"]:
            print("    the object is missing (deleted outside Terraform?)")
            continue
        sensitive = flatten(change["change"].get("before_sensitive") or {})
        for name, old, new in changed_attributes(change["change"]):
            if sensitive.get(name) is True:
                old = new = SENSITIVE
            print(f"    {name}: {show(old)} -> {show(new)}")
    if drifted:
        print("\nChanged outside Terraform:")
        for change in drifted:
            attributes = ", ".join(name for name, _, _ in changed_attributes(change["change"])) or "(object)"
            print(f"  {change['address']}: {attributes}")


if __name__ == "__main__":
    main(sys.argv[1])
