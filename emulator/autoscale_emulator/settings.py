"""Delays that keep node groups in CREATING / UPDATING / DELETING for a while.

Real EKS takes minutes; by default the emulator takes no time at all. A delay
is read from the environment at start-up and can be changed while running via
``POST /_emulator/config``. Tests run in parallel against one emulator, so a
delay can be scoped to one cluster name instead of changing everybody's.

Status is computed from the clock on each request (see ``eks.settle``): no
background threads.
"""

from __future__ import annotations

import os
import threading
from typing import Any

DELAY_KEYS = ("nodegroup_create_delay", "nodegroup_update_delay", "nodegroup_delete_delay")
ENV_PREFIX = "AUTOSCALE_EMULATOR_"

_lock = threading.Lock()
_global: dict[str, float] = {key: 0.0 for key in DELAY_KEYS}
_per_cluster: dict[str, dict[str, float]] = {}


def load_from_env(environ: os._Environ[str] | dict[str, str] = os.environ) -> None:
    """Reads AUTOSCALE_EMULATOR_NODEGROUP_{CREATE,UPDATE,DELETE}_DELAY (seconds)."""
    values = {}
    for key in DELAY_KEYS:
        raw = environ.get(ENV_PREFIX + key.upper())
        if raw:
            values[key] = raw
    update(values)


def _parse(values: dict[str, Any]) -> dict[str, float]:
    parsed = {}
    for key, raw in values.items():
        if key not in DELAY_KEYS:
            raise ValueError(f"unknown setting {key!r}; known: {', '.join(DELAY_KEYS)}")
        try:
            seconds = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{key} must be a number of seconds, got {raw!r}") from None
        if seconds < 0:
            raise ValueError(f"{key} must not be negative, got {seconds}")
        parsed[key] = seconds
    return parsed


def update(values: dict[str, Any], cluster: str | None = None) -> None:
    """Sets some delays, globally or (``cluster`` given) for one cluster name.

    Raises ValueError for an unknown key or a value that is not a non-negative number.
    """
    parsed = _parse(values)
    with _lock:
        if cluster is None:
            _global.update(parsed)
        else:
            _per_cluster.setdefault(cluster, {}).update(parsed)


def delay(key: str, cluster: str) -> float:
    """The delay in seconds that applies to a node group of ``cluster``."""
    with _lock:
        return _per_cluster.get(cluster, {}).get(key, _global[key])


def snapshot() -> dict[str, Any]:
    with _lock:
        return {**_global, "clusters": {name: dict(v) for name, v in _per_cluster.items()}}
