"""How many instances a Server deployment configuration deploys to at once, and when it fails.

AWS's rules ("Working with deployment configurations in CodeDeploy",
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html, and
"Instance health", https://docs.aws.amazon.com/codedeploy/latest/userguide/instances-health.html):

- ``minimumHealthyHosts`` ``HOST_COUNT`` is a number of instances; ``FLEET_PERCENT`` a percentage
  of the fleet, converted to instances rounding up. CodeDeploy deploys to as many instances at
  once as the minimum leaves (at least one).
- Before each batch, the instances still healthy once that batch is taken out of service must be
  at least the minimum; otherwise the deployment stops, the instances not deployed to are
  skipped, and it fails ``HEALTH_CONSTRAINTS``. A minimum that can never hold (a ``HOST_COUNT``
  not below the number of instances) fails it before any instance: ``HEALTH_CONSTRAINTS_INVALID``.
- ``CodeDeployDefault.OneAtATime`` (reported as ``MOST_CONCURRENCY`` 1): one instance at a time;
  it fails at the first instance that fails, except the last one ("if deployment to the last
  instance fails, the overall deployment still succeeds"); a single instance must succeed.
- ``HalfAtATime`` (``FLEET_PERCENT`` 50): up to half at a time (rounded down); succeeds when at
  least half (rounded up) succeed. ``AllAtOnce`` (``FLEET_PERCENT`` 0): all at once; succeeds when
  at least one succeeds.

Pure: no LocalStack, no moto, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class HealthConstraintsInvalid(Exception):
    """The configuration's minimum healthy hosts can never hold for this many instances."""


HEALTH_CONSTRAINTS_INVALID_MESSAGE = (
    "The deployment cannot start because the minimum number of healthy instances, as defined by "
    "your deployment configuration, is not available. You can reduce the required number of "
    "healthy instances by updating your deployment configuration or increase the number of "
    "instances in this deployment group."
)
HEALTH_CONSTRAINTS_MESSAGE = (
    "The overall deployment failed because too many individual instances failed deployment, too "
    "few healthy instances are available for deployment, or some instances in your deployment "
    "group are experiencing problems."
)


@dataclass(frozen=True)
class Plan:
    """``total`` instances, at most ``batch_size`` at once, ``min_healthy`` kept healthy."""

    total: int
    min_healthy: int
    batch_size: int

    def batches(self, ids: list[str]) -> list[list[str]]:
        return [ids[i : i + self.batch_size] for i in range(0, len(ids), self.batch_size)]

    def may_start(self, failed: int, batch: int) -> bool:
        """Whether a batch of ``batch`` instances may start with ``failed`` already failed."""
        if failed == 0:
            return True
        return self.total - failed - batch >= self.min_healthy

    def succeeded(self, succeeded: int) -> bool:
        """Whether the deployment succeeds with ``succeeded`` instances deployed to."""
        return succeeded >= max(self.min_healthy, 1)


def plan(total: int, minimum_healthy_hosts: dict) -> Plan:
    """The plan for ``total`` instances (at least one) under ``minimum_healthy_hosts``."""
    kind = minimum_healthy_hosts.get("type")
    value = int(minimum_healthy_hosts.get("value") or 0)
    if kind == "MOST_CONCURRENCY":
        # One at a time; every instance but the last must succeed.
        return Plan(total=total, min_healthy=total - 1, batch_size=1)
    if kind == "HOST_COUNT":
        if value >= total and value > 0:
            raise HealthConstraintsInvalid(HEALTH_CONSTRAINTS_INVALID_MESSAGE)
        minimum = value
    elif kind == "FLEET_PERCENT":
        if value >= 100:
            raise HealthConstraintsInvalid(HEALTH_CONSTRAINTS_INVALID_MESSAGE)
        minimum = math.ceil(total * value / 100)
    else:
        raise ValueError(f"unknown minimum healthy hosts type {kind!r}")
    return Plan(total=total, min_healthy=minimum, batch_size=max(1, total - minimum))
