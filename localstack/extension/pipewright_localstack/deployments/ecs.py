"""The ECS compute platform: the revision checked, then the first step the emulator cannot take.

LocalStack 4.13.1's community edition does not serve Amazon ECS (every ECS call answers "not
included in your current license plan"), so no service, task set or listener exists to deploy to.
A deployment reads and checks its AppSpec (``specs.parse_ecs``; a bad one fails
``INVALID_REVISION``), needs the group's ``ecsServices`` (``INVALID_ECS_SERVICE`` without), and
then fails ``ECS_UPDATE_ERROR`` naming the ECS call it would make next: ``CreateTaskSet``, the
replacement task set of a blue/green deployment ("What happens during an Amazon ECS deployment",
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html). Never a fake
success.
"""

from __future__ import annotations

from . import lambda_, specs


def deploy(account_id: str, region: str, revision: dict, group: dict) -> tuple[str, str, str]:
    """(status, error code, message) of an ECS deployment."""
    try:
        spec = specs.parse_ecs(lambda_.revision_text(account_id, region, revision))
    except lambda_.Failure as e:
        return e.status, e.code, e.message
    except specs.SpecError as e:
        return "Failed", "INVALID_REVISION", str(e)
    services = group.get("ecsServices") or []
    if not services:
        return (
            "Failed",
            "INVALID_ECS_SERVICE",
            "The deployment group names no Amazon ECS service (ecsServices) to deploy to.",
        )
    service = services[0]
    return (
        "Failed",
        "ECS_UPDATE_ERROR",
        step_message(
            f"creating the replacement task set (ecs:CreateTaskSet with task definition "
            f"{spec.task_definition}, container {spec.container_name}:{spec.container_port}, on "
            f"service {service.get('serviceName')} of cluster {service.get('clusterName')})"
        ),
    )


def step_message(step: str) -> str:
    return (
        f"The pipewright emulator cannot perform this Amazon ECS deployment: its next step, "
        f"{step}, needs Amazon ECS, which LocalStack's community edition does not serve. "
        "Everything before it was read and checked; nothing was deployed."
    )
