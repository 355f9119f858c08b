"""Amazon EC2 Auto Scaling, served from moto's model (LocalStack 4.13.1's community edition has
no Auto Scaling provider: every call answered "not included in your current license plan").

Every operation goes to moto (``dispatch``), whose Auto Scaling groups launch their instances in
moto's EC2 backend, the one LocalStack's EC2 serves: a group's instances are the emulator's EC2
instances, so CodeDeploy deployment groups that name Auto Scaling groups (``autoScalingGroups``)
deploy to them (``deployments.server``).
"""

from __future__ import annotations

from localstack.services.plugins import Service, aws_provider


@aws_provider(api="autoscaling")
def autoscaling_provider() -> Service:
    from .dispatch import Provider, dispatch_table_for

    class AutoScalingProvider(Provider):
        service = "autoscaling"

    return Service.for_provider(AutoScalingProvider(), dispatch_table_factory=dispatch_table_for)
