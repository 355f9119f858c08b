"""Executions rendered as the CodePipeline API's response shapes (pure).

Field for field with botocore's ``codepipeline/2015-07-09`` model: ``PipelineExecutionSummary``
(ListPipelineExecutions), ``PipelineExecution`` (GetPipelineExecution), ``StageState`` /
``ActionState`` (GetPipelineState) and ``ActionExecutionDetail`` (ListActionExecutions). Fields
without a value are left out, as AWS leaves them out.
"""

from __future__ import annotations

import copy

from .execution import SUCCEEDED, ActionRun, Execution, Runs


def _compact(shape: dict) -> dict:
    return {k: v for k, v in shape.items() if v is not None}


def _source_actions(execution: Execution) -> list[ActionRun]:
    return [a for a in execution.actions if a.category == "Source" and a.revision]


def source_revisions(execution: Execution) -> list[dict]:
    """``SourceRevision`` of each source action that has run (PipelineExecutionSummary)."""
    return [
        _compact(
            {
                "actionName": a.action_name,
                "revisionId": a.revision.get("revisionId"),
                "revisionSummary": a.revision.get("revisionSummary"),
                "revisionUrl": a.revision.get("revisionUrl"),
            }
        )
        for a in _source_actions(execution)
    ]


def summary(execution: Execution) -> dict:
    """A PipelineExecutionSummary."""
    return _compact(
        {
            "pipelineExecutionId": execution.pipeline_execution_id,
            "status": execution.status,
            "statusSummary": execution.status_summary,
            "startTime": execution.start_time,
            "lastUpdateTime": execution.last_update_time,
            "sourceRevisions": source_revisions(execution),
            "trigger": copy.deepcopy(execution.trigger),
            "stopTrigger": (
                {"reason": execution.stop_reason} if execution.stop_reason is not None else None
            ),
            "executionMode": execution.execution_mode,
            "executionType": execution.execution_type,
        }
    )


def detail(execution: Execution) -> dict:
    """A PipelineExecution."""
    revisions = []
    for action in _source_actions(execution):
        for artifact in action.output_artifacts:
            revisions.append(
                _compact(
                    {
                        "name": artifact["name"],
                        "revisionId": action.revision.get("revisionId"),
                        "revisionSummary": action.revision.get("revisionSummary"),
                        "created": action.revision.get("created"),
                        "revisionUrl": action.revision.get("revisionUrl"),
                    }
                )
            )
    return _compact(
        {
            "pipelineName": execution.pipeline_name,
            "pipelineVersion": execution.pipeline_version,
            "pipelineExecutionId": execution.pipeline_execution_id,
            "status": execution.status,
            "statusSummary": execution.status_summary,
            "artifactRevisions": revisions,
            "variables": [
                {"name": k, "resolvedValue": v} for k, v in sorted(execution.variables.items())
            ],
            "trigger": copy.deepcopy(execution.trigger),
            "executionMode": execution.execution_mode,
            "executionType": execution.execution_type,
        }
    )


def _action_execution(action: ActionRun) -> dict:
    """An ActionExecution (the latest execution of an action, in GetPipelineState)."""
    return _compact(
        {
            "actionExecutionId": action.action_execution_id,
            "status": action.status,
            "summary": action.summary,
            "lastStatusChange": action.last_update_time,
            "token": action.token if action.status == "InProgress" else None,
            "lastUpdatedBy": action.updated_by,
            "externalExecutionId": action.external_execution_id,
            "externalExecutionUrl": action.external_execution_url,
            "errorDetails": copy.deepcopy(action.error_details),
        }
    )


def pipeline_state(runs: Runs, declaration: dict) -> list[dict]:
    """The ``stageStates`` of GetPipelineState, for the pipeline as declared now."""
    states = []
    for index, stage in enumerate(declaration["stages"]):
        name = stage["name"]
        # The execution that last entered this stage, by name (stages may have been reordered).
        latest = None
        for execution in runs.executions:
            names = [s.name for s in execution.stages]
            if name in names:
                run = execution.stages[names.index(name)]
                if run.entered_at is not None and (
                    latest is None or run.entered_at >= latest[1].entered_at
                ):
                    latest = (execution, run)
        action_states = []
        for action in stage["actions"]:
            state: dict = {"actionName": action["name"]}
            last = _latest_action(runs, name, action["name"])
            if last is not None:
                state["latestExecution"] = _action_execution(last)
                source = _latest_action(runs, name, action["name"], succeeded=True)
                if source is not None and source.revision:
                    state["currentRevision"] = _compact(
                        {
                            "revisionId": source.revision.get("revisionId"),
                            "revisionChangeId": source.revision.get("revisionId"),
                            "created": source.revision.get("created"),
                        }
                    )
            action_states.append(state)
        stage_state: dict = {"stageName": name, "actionStates": action_states}
        if index > 0:
            transition = runs.transition(name)
            stage_state["inboundTransitionState"] = _compact(
                {
                    "enabled": transition.enabled,
                    "lastChangedBy": transition.last_changed_by,
                    "lastChangedAt": transition.last_changed_at,
                    "disabledReason": transition.disabled_reason,
                }
            )
        inbound = [
            {
                "pipelineExecutionId": e.pipeline_execution_id,
                "status": "InProgress",
                "type": e.execution_type,
            }
            for e in runs.executions
            if e.active and e.waiting and e.stages[e.stage_index].name == name
        ]
        if inbound:
            stage_state["inboundExecution"] = inbound[0]
            stage_state["inboundExecutions"] = inbound
        if latest is not None:
            execution, run = latest
            stage_state["latestExecution"] = {
                "pipelineExecutionId": execution.pipeline_execution_id,
                "status": run.status,
                "type": execution.execution_type,
            }
            if run.manual_retries:
                stage_state["retryStageMetadata"] = {
                    "manualStageRetryAttempt": run.manual_retries,
                    "latestRetryTrigger": "ManualStageRetry",
                }
        states.append(stage_state)
    return states


def _latest_action(runs: Runs, stage: str, action: str, succeeded: bool = False):
    found = None
    for execution in runs.executions:
        for run in execution.actions:
            if run.stage_name == stage and run.action_name == action:
                if succeeded and run.status != SUCCEEDED:
                    continue
                if found is None or run.start_time >= found.start_time:
                    found = run
    return found


def action_detail(action: ActionRun, region: str) -> dict:
    """An ActionExecutionDetail (ListActionExecutions)."""
    declaration = action.declaration
    result = _compact(
        {
            "externalExecutionId": action.external_execution_id,
            "externalExecutionSummary": action.external_execution_summary or action.summary,
            "externalExecutionUrl": action.external_execution_url,
            "errorDetails": copy.deepcopy(action.error_details),
        }
    )
    output: dict = {"outputArtifacts": copy.deepcopy(action.output_artifacts)}
    if result:
        output["executionResult"] = result
    if action.output_variables:
        output["outputVariables"] = dict(action.output_variables)
    return _compact(
        {
            "pipelineExecutionId": action.pipeline_execution_id,
            "actionExecutionId": action.action_execution_id,
            "pipelineVersion": action.pipeline_version,
            "stageName": action.stage_name,
            "actionName": action.action_name,
            "startTime": action.start_time,
            "lastUpdateTime": action.last_update_time,
            "updatedBy": action.updated_by,
            "status": action.status,
            "input": _compact(
                {
                    "actionTypeId": copy.deepcopy(declaration["actionTypeId"]),
                    "configuration": copy.deepcopy(declaration.get("configuration") or {}),
                    "resolvedConfiguration": copy.deepcopy(action.resolved_configuration),
                    "roleArn": declaration.get("roleArn"),
                    "region": declaration.get("region") or region,
                    "inputArtifacts": copy.deepcopy(action.input_artifacts),
                    "namespace": declaration.get("namespace"),
                }
            ),
            "output": output,
        }
    )


def action_details(runs: Runs, execution_id: str | None) -> list[dict]:
    """Every action execution of the pipeline (or of one execution), newest first."""
    executions = [runs.find(execution_id)] if execution_id else runs.executions
    details = [
        (a.start_time, n, action_detail(a, e.region))
        for e in executions
        for n, a in enumerate(e.actions)
    ]
    details.sort(key=lambda d: (d[0], d[1]), reverse=True)
    return [d[2] for d in details]
