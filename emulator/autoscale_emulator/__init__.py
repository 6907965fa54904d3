"""A local AWS endpoint for EKS and Auto Scaling: moto's server plus a thin layer.

moto answers the AWS APIs; this package closes the gaps that matter to the
provider, each one matching documented (or, where marked, observed) AWS
behaviour. The layer has two halves:

* ``eks`` and ``autoscaling`` patch moto's backends and response classes in
  place (node group <-> Auto Scaling group lifecycle, update records,
  validation, tag filters, scheduled actions);
* ``control`` is a WSGI middleware in front of moto's app: it counts every
  AWS call, serializes requests (moto's models are not thread-safe) and serves
  the ``/_emulator/...`` control endpoints.

``server`` ties them together; ``python -m autoscale_emulator`` runs it. See
emulator/README.md for the list of fixes.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
