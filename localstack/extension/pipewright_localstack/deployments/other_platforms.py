"""Lambda and ECS deployments: as far as the emulator can take them, and no further.

What LocalStack 4.13.1's community edition allows in host mode (no Docker), as measured here:

- ECS is not served at all (every ECS call answers "not included in your current license
  plan"), so no ECS service, task set or listener exists to deploy to.
- Lambda creates functions, versions and aliases, but a function never becomes ``Active``
  (``State`` goes ``Pending`` then ``Failed``: there is no container runtime to run it), so it
  cannot be invoked (before/after traffic hooks), ``UpdateFunctionCode`` fails ("cannot be updated
  if an old one is not running"), and ``UpdateAlias`` with a ``RoutingConfig`` (the weighted alias
  a canary or linear shift needs) fails inside LocalStack.

So these deployments fail with the step the emulator cannot perform, never a fake success.
"""

from __future__ import annotations

LAMBDA_MESSAGE = (
    "The pipewright emulator cannot perform this Lambda deployment: shifting the alias's traffic "
    "needs UpdateAlias with a RoutingConfig and the lifecycle hooks need the function to run, and "
    "LocalStack's community Lambda in host mode supports neither (its functions never become "
    "Active without a container runtime)."
)
ECS_MESSAGE = (
    "The pipewright emulator cannot perform this ECS deployment: creating the replacement task "
    "set needs Amazon ECS, which LocalStack's community edition does not serve."
)


def run(account_id, region, platform, revision, group, config, run) -> tuple[str, str, str]:
    """(status, error code, message) of a Lambda or ECS deployment."""
    if platform == "Lambda":
        return "Failed", "INVALID_LAMBDA_CONFIGURATION", LAMBDA_MESSAGE
    return "Failed", "ECS_UPDATE_ERROR", ECS_MESSAGE
