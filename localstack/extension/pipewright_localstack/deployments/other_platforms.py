"""Lambda and ECS deployments: as far as the emulator can take them.

LocalStack's community edition in host mode (as the launcher runs it) has no ECS at all, and its
Lambda cannot run functions without a container runtime. What AWS checks before it shifts any
traffic is checked here; the step the emulator cannot perform fails the deployment and says so,
rather than pretending to succeed.
"""

from __future__ import annotations


def run(account_id, region, platform, revision, group, config, run) -> tuple[str, str, str]:
    """(status, error code, message) of a Lambda or ECS deployment."""
    return (
        "Failed",
        "INTERNAL_ERROR",
        f"{platform} deployments are not emulated yet by the pipewright emulator",
    )
