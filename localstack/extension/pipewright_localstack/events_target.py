"""EventBridge target for pipelines: a matching event starts the pipeline named by the target ARN.

pipewright wires "the branch moved" to "run the pipeline" with an EventBridge rule whose target is
the pipeline. LocalStack's EventBridge has no sender for ``codepipeline`` and so refuses such a
target in PutTargets; this one records an execution directly in our CodePipeline backend, with the
trigger AWS reports for it (``CloudWatchEvent`` and the rule's ARN).
"""

from __future__ import annotations

import logging

from localstack.services.events.models import ValidationException
from localstack.services.events.target import TargetSender

from .common import Arn

LOG = logging.getLogger(__name__)


class PipelineTargetSender(TargetSender):
    def _validate_input(self, target) -> None:
        super()._validate_input(target)
        # AWS needs a role for EventBridge to call StartPipelineExecution with.
        if not target.get("RoleArn"):
            raise ValidationException(
                f"RoleArn is required for target {target.get('Arn')} (CodePipeline)"
            )
        arn = Arn.parse(target.get("Arn"))
        if arn is None or not arn.resource or "/" in arn.resource:
            raise ValidationException(f"Parameter {target.get('Arn')} is not valid")

    def send_event(self, event, trace_header) -> None:
        # The event's content does not matter to CodePipeline: any matching event starts a run.
        from .codepipeline import start_execution

        arn = Arn.parse(self.target["Arn"])
        execution_id = start_execution(
            arn.account,
            arn.region,
            arn.resource,
            {"triggerType": "CloudWatchEvent", "triggerDetail": self.rule_arn},
        )
        LOG.info(
            "rule %s started pipeline %s: execution %s", self.rule_arn, arn.resource, execution_id
        )
