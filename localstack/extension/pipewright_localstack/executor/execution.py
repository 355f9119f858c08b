"""The state machine of a pipeline's executions (pure: no I/O, no threads, no wall clock).

Every event is a function ``f(runs, ..., now, ids) -> [command]``: it changes the pipeline's
``Runs`` in place (the caller holds the store's lock) and answers what the runner must do next
(``StartAction``, ``CancelAction``). The clock is the ``now`` argument and ids come from ``ids``,
so a test drives whole executions with a fake clock and predictable ids.

AWS's behaviour, from the CodePipeline user guide ("How pipeline executions work",
https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html; "Set or
change the pipeline execution mode", execution-modes.html; "Stop a pipeline execution",
pipelines-stop.html; "Retry a failed stage", actions-retry.html; "Disable or enable transitions",
transitions.html; "Manage approval actions", approvals.html) and the API Reference:

- Stages run in order. In a stage, the actions with the lowest ``runOrder`` run in parallel; the
  next run order starts when every action of the previous one succeeded. A failed action fails
  its stage and the execution once its group has finished; later groups and stages do not run.
- Between stages an execution waits to enter the next stage ("inbound"). It enters when the
  stage's inbound transition is enabled and, in SUPERSEDED and QUEUED mode, when no other
  execution is inside the stage (each stage processes one execution at a time; the stage is
  locked). In SUPERSEDED mode a newer execution waiting at the same stage supersedes the older
  one (status ``Superseded``); in QUEUED mode waiting executions enter in the order they started;
  in PARALLEL mode executions never wait for each other. The first stage has no transition, but is
  locked like the others.
- StopPipelineExecution: without abandon, in-progress actions finish and no new action starts
  (execution ``Stopping``, then ``Stopped``); with abandon, in-progress actions are ``Abandoned`` at
  once. A stopped stage shows ``Stopped``.
- RetryStageExecution reruns a failed stage of the execution that last ran in it, in place (same
  execution id): FAILED_ACTIONS reruns the failed actions of the first group that failed, then the
  later groups; ALL_ACTIONS reruns the stage from its first group.
- A manual approval waits with a token until PutApprovalResult (Approved succeeds the action,
  Rejected fails it) or until 7 days pass (then it fails).
- An execution keeps the pipeline declaration it started with (``pipeline_version``); updating
  the pipeline changes only later executions.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from . import artifacts, variables

# PipelineExecutionStatus, StageExecutionStatus and ActionExecutionStatus (botocore model).
IN_PROGRESS = "InProgress"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPING = "Stopping"
STOPPED = "Stopped"
SUPERSEDED = "Superseded"
CANCELLED = "Cancelled"
ABANDONED = "Abandoned"

ACTIVE = (IN_PROGRESS, STOPPING)

MODE_SUPERSEDED = "SUPERSEDED"
MODE_QUEUED = "QUEUED"
MODE_PARALLEL = "PARALLEL"

# Approvals time out after seven days (approvals.html: "the approval request ... expires").
APPROVAL_TIMEOUT = timedelta(days=7)


class Refused(Exception):
    """A request the state does not allow; ``code`` is AWS's exception name for it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Ids(Protocol):
    """Where fresh ids come from (uuids for executions and tokens, short ids for artifacts)."""

    def uuid(self) -> str: ...

    def artifact_id(self) -> str: ...


@dataclass
class Transition:
    """A stage's inbound transition (TransitionState)."""

    enabled: bool = True
    last_changed_by: str | None = None
    last_changed_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass
class Outcome:
    """How an action execution ended, as its runner reports it."""

    status: str  # SUCCEEDED or FAILED
    summary: str | None = None
    external_execution_id: str | None = None
    external_execution_summary: str | None = None
    external_execution_url: str | None = None
    error_details: dict | None = None  # {"code", "message"} (ErrorDetails)
    output_variables: dict = field(default_factory=dict)
    # For source actions: {"revisionId", "revisionSummary", "created", "revisionUrl"?}.
    revision: dict | None = None


@dataclass
class ActionRun:
    """One execution of one action (ActionExecutionDetail)."""

    action_execution_id: str
    pipeline_execution_id: str
    pipeline_version: int
    stage_name: str
    action_name: str
    declaration: dict
    status: str
    start_time: datetime
    last_update_time: datetime
    input_artifacts: list[dict] = field(default_factory=list)
    output_artifacts: list[dict] = field(default_factory=list)
    resolved_configuration: dict = field(default_factory=dict)
    token: str | None = None
    summary: str | None = None
    updated_by: str | None = None
    external_execution_id: str | None = None
    external_execution_summary: str | None = None
    external_execution_url: str | None = None
    error_details: dict | None = None
    output_variables: dict = field(default_factory=dict)
    revision: dict | None = None

    @property
    def category(self) -> str:
        return self.declaration["actionTypeId"]["category"]

    @property
    def provider(self) -> str:
        return self.declaration["actionTypeId"]["provider"]


@dataclass
class StageRun:
    """One execution's progress through one stage."""

    name: str
    status: str | None = None  # None: not entered
    group: int = 0  # index of the run-order group running (or last run)
    entered_at: datetime | None = None
    latest: dict[str, ActionRun] = field(default_factory=dict)  # by action name
    manual_retries: int = 0


@dataclass
class Job:
    """What an action runner needs to run one action execution (a copy, safe off the lock)."""

    account_id: str
    region: str
    pipeline_name: str
    pipeline_execution_id: str
    stage_name: str
    action_name: str
    action_execution_id: str
    action_type_id: dict
    configuration: dict  # resolved
    input_artifacts: list[dict]
    output_artifacts: list[dict]
    role_arn: str | None
    source_override: dict | None  # SourceRevisionOverride for this action, if any
    token: str | None
    # The build or deployment id a runner started, kept between its polls.
    external_id: str | None = None


@dataclass
class Execution:
    """One pipeline execution (PipelineExecution), with the declaration it runs."""

    pipeline_execution_id: str
    account_id: str
    region: str
    pipeline_name: str
    pipeline_version: int
    declaration: dict
    status: str
    start_time: datetime
    last_update_time: datetime
    trigger: dict
    execution_mode: str
    variables: dict[str, str] = field(default_factory=dict)
    source_overrides: dict[str, dict] = field(default_factory=dict)  # by action name
    client_request_token: str | None = None
    execution_type: str = "STANDARD"
    status_summary: str | None = None
    stop_reason: str | None = None
    abandon: bool = False
    stage_index: int = 0
    waiting: bool = True  # waiting to enter stages[stage_index]; False: inside it
    stages: list[StageRun] = field(default_factory=list)
    actions: list[ActionRun] = field(default_factory=list)  # every action execution, in order

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def stage_declaration(self, index: int) -> dict:
        return self.declaration["stages"][index]


@dataclass
class Runs:
    """A pipeline's executions (oldest first) and its stages' inbound transitions."""

    name: str
    executions: list[Execution] = field(default_factory=list)
    transitions: dict[str, Transition] = field(default_factory=dict)

    def find(self, execution_id: str | None) -> Execution:
        for execution in self.executions:
            if execution.pipeline_execution_id == execution_id:
                return execution
        raise Refused(
            "PipelineExecutionNotFoundException",
            f"Pipeline execution {execution_id} does not exist in pipeline {self.name}",
        )

    def transition(self, stage: str) -> Transition:
        return self.transitions.setdefault(stage, Transition())


@dataclass(frozen=True)
class StartAction:
    """Run this action (the runner reports back with ``finish``)."""

    job: Job


@dataclass(frozen=True)
class CancelAction:
    """Forget this action's runner: it was abandoned, or finished by a request (an approval)."""

    account_id: str
    region: str
    pipeline_name: str
    action_execution_id: str


Command = StartAction | CancelAction


def run_order_groups(stage: dict) -> list[list[dict]]:
    """A stage's actions grouped by ``runOrder``, lowest first (ActionDeclaration.runOrder)."""
    orders = sorted({a.get("runOrder", 1) for a in stage["actions"]})
    return [[a for a in stage["actions"] if a.get("runOrder", 1) == o] for o in orders]


# Events. Each changes ``runs`` and returns the commands for the runner.


def start(
    runs: Runs,
    *,
    account_id: str,
    region: str,
    declaration: dict,
    trigger: dict,
    variables_given: list[dict] | None,
    source_overrides: list[dict] | None,
    client_request_token: str | None,
    now: datetime,
    ids: Ids,
) -> tuple[Execution, list[Command]]:
    """A new execution of the pipeline as declared now (StartPipelineExecution and triggers).

    Raises ``Refused`` (ValidationException) for variables or source overrides AWS refuses.
    """
    if client_request_token:
        for execution in runs.executions:
            if execution.client_request_token == client_request_token:
                return execution, []
    if variables_given and declaration.get("pipelineType", "V1") == "V1":
        # Pipeline-level variables are a V2 feature ("Pipeline types", pipeline-types.html).
        raise Refused("ValidationException", "Pipeline-level variables need a V2 pipeline")
    try:
        values = variables.pipeline_values(declaration.get("variables"), variables_given)
    except variables.Invalid as e:
        raise Refused("ValidationException", str(e)) from e
    overrides = _source_overrides(declaration, source_overrides)
    execution = Execution(
        pipeline_execution_id=ids.uuid(),
        account_id=account_id,
        region=region,
        pipeline_name=declaration["name"],
        pipeline_version=declaration.get("version", 1),
        declaration=copy.deepcopy(declaration),
        status=IN_PROGRESS,
        start_time=now,
        last_update_time=now,
        trigger=copy.deepcopy(trigger),
        execution_mode=declaration.get("executionMode") or MODE_SUPERSEDED,
        variables=values,
        source_overrides=overrides,
        client_request_token=client_request_token,
        stages=[StageRun(s["name"]) for s in declaration["stages"]],
    )
    runs.executions.append(execution)
    return execution, _settle(runs, now, ids)


# SourceRevisionOverride.revisionType each source provider accepts (StartPipelineExecution,
# "sourceRevisions"; the action reference pages of CodeCommit, S3 and ECR).
_OVERRIDE_TYPES = {
    "CodeCommit": {"COMMIT_ID"},
    "CodeStarSourceConnection": {"COMMIT_ID"},
    "S3": {"S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY"},
    "ECR": {"IMAGE_DIGEST"},
}


def _source_overrides(declaration: dict, overrides: list[dict] | None) -> dict[str, dict]:
    sources = {
        a["name"]: a
        for s in declaration["stages"]
        for a in s["actions"]
        if a["actionTypeId"]["category"] == "Source"
    }
    result: dict[str, dict] = {}
    for override in overrides or []:
        name = override.get("actionName")
        action = sources.get(name)
        if action is None:
            raise Refused(
                "ValidationException", f"Source action {name} does not exist in the pipeline"
            )
        allowed = _OVERRIDE_TYPES.get(action["actionTypeId"]["provider"], set())
        if override.get("revisionType") not in allowed:
            raise Refused(
                "ValidationException",
                f"Revision type {override.get('revisionType')} is not supported by source action "
                f"{name}",
            )
        if name in result:
            raise Refused("ValidationException", f"Source action {name} is overridden twice")
        result[name] = dict(override)
    return result


def finish(
    runs: Runs, execution_id: str, action_execution_id: str, outcome: Outcome, now, ids: Ids
) -> list[Command]:
    """An action's runner reports its end. Ignored when the action already ended (abandoned)."""
    action = _action(runs, execution_id, action_execution_id)
    if action is None or action.status != IN_PROGRESS:
        return []
    _end(action, outcome, now)
    return _settle(runs, now, ids)


def approve(
    runs: Runs,
    *,
    stage_name: str,
    action_name: str,
    token: str | None,
    status: str,
    summary: str | None,
    by: str,
    now: datetime,
    ids: Ids,
) -> list[Command]:
    """PutApprovalResult: ``status`` Approved succeeds the waiting approval, Rejected fails it."""
    candidates = [
        a
        for e in runs.executions
        for a in e.actions
        if a.stage_name == stage_name and a.action_name == action_name and a.token == token
    ]
    if not candidates:
        raise Refused("InvalidApprovalTokenException", f"The token {token} is not valid")
    action = candidates[-1]
    if action.status != IN_PROGRESS:
        raise Refused(
            "ApprovalAlreadyCompletedException",
            f"The approval action {action_name} has already been completed",
        )
    _end(
        action,
        Outcome(status=SUCCEEDED if status == "Approved" else FAILED, summary=summary),
        now,
    )
    action.updated_by = by
    if status != "Approved":
        action.error_details = {"code": "JobFailed", "message": "Approval rejected"}
    execution = runs.find(action.pipeline_execution_id)
    commands: list[Command] = [_cancel(execution, action)]
    return commands + _settle(runs, now, ids)


def expire_approvals(runs: Runs, now: datetime, ids: Ids) -> list[Command]:
    """Fails approvals that waited ``APPROVAL_TIMEOUT`` (the clock's tick)."""
    commands: list[Command] = []
    for execution in runs.executions:
        for action in execution.actions:
            if (
                action.status == IN_PROGRESS
                and action.category == "Approval"
                and now - action.start_time >= APPROVAL_TIMEOUT
            ):
                _end(
                    action,
                    Outcome(
                        status=FAILED,
                        error_details={
                            "code": "JobFailed",
                            "message": "The approval request expired after 7 days",
                        },
                    ),
                    now,
                )
                commands.append(_cancel(execution, action))
    if not commands:
        return []
    return commands + _settle(runs, now, ids)


def stop(
    runs: Runs, execution_id: str, *, abandon: bool, reason: str | None, now, ids: Ids
) -> list[Command]:
    """StopPipelineExecution."""
    execution = runs.find(execution_id)
    if execution.status == STOPPING:
        # "Stop and abandon" may follow "stop and wait"; anything else is a repeat.
        if not abandon or execution.abandon:
            raise Refused(
                "DuplicatedStopRequestException",
                "The pipeline execution is already in a Stopping state. If you already chose to "
                "stop and wait, you cannot make that request again. You can choose to stop and "
                "abandon now. If you already chose to stop and abandon, you cannot make that "
                "request again.",
            )
    elif execution.status != IN_PROGRESS:
        raise Refused(
            "PipelineExecutionNotStoppableException",
            f"Unable to stop the pipeline execution {execution_id}. The execution might already "
            f"be in a Stopped state, or it might no longer be in progress ({execution.status})",
        )
    execution.status = STOPPING
    execution.abandon = abandon
    if reason is not None or execution.stop_reason is None:
        # "Stop and abandon" after "stop and wait" keeps the first reason unless it gives one.
        execution.stop_reason = reason
    execution.last_update_time = now
    commands: list[Command] = []
    if not execution.waiting:
        stage = execution.stages[execution.stage_index]
        stage.status = STOPPING
        if abandon:
            for action in stage.latest.values():
                if action.status == IN_PROGRESS:
                    action.status = ABANDONED
                    action.last_update_time = now
                    commands.append(_cancel(execution, action))
    return commands + _settle(runs, now, ids)


def retry(
    runs: Runs,
    execution_id: str,
    *,
    stage_name: str,
    mode: str,
    current_version: int,
    now: datetime,
    ids: Ids,
) -> list[Command]:
    """RetryStageExecution: reruns a failed stage of the execution that last ran it, in place."""
    if mode not in ("FAILED_ACTIONS", "ALL_ACTIONS"):
        raise Refused("ValidationException", f"retryMode {mode} is not valid")
    execution = runs.find(execution_id)
    names = [s.name for s in execution.stages]
    if stage_name not in names:
        raise Refused(
            "StageNotFoundException", f"Stage {stage_name} does not exist in the pipeline"
        )
    index = names.index(stage_name)
    stage = execution.stages[index]
    if stage.status != FAILED or execution.status != FAILED:
        raise Refused(
            "StageNotRetryableException",
            f"Unable to retry. The stage {stage_name} contains no failed actions in execution "
            f"{execution_id}",
        )
    if execution.pipeline_version != current_version:
        raise Refused(
            "StageNotRetryableException",
            "Unable to retry. The pipeline structure has been updated since this execution started",
        )
    latest = _latest_in_stage(runs, index)
    if latest is not execution:
        raise Refused(
            "NotLatestPipelineExecutionException",
            f"The stage has failed in a later run of the pipeline and the pipelineExecutionId "
            f"{execution_id} associated with the request is out of date",
        )
    groups = run_order_groups(execution.stage_declaration(index))
    if mode == "ALL_ACTIONS":
        stage.group = 0
        only = None
    else:
        failed = {n for n, a in stage.latest.items() if a.status in (FAILED, ABANDONED)}
        stage.group = next(i for i, g in enumerate(groups) if any(a["name"] in failed for a in g))
        only = failed
    execution.status = IN_PROGRESS
    execution.status_summary = None
    execution.last_update_time = now
    stage.status = IN_PROGRESS
    stage.manual_retries += 1
    commands = _start_group(execution, index, groups[stage.group], now, ids, only)
    return commands + _settle(runs, now, ids)


def set_transition(
    runs: Runs,
    stage_names: list[str],
    stage_name: str,
    *,
    enabled: bool,
    by: str,
    reason: str | None,
    now: datetime,
    ids: Ids,
) -> list[Command]:
    """DisableStageTransition / EnableStageTransition (inbound)."""
    if stage_name not in stage_names:
        raise Refused(
            "StageNotFoundException", f"Stage {stage_name} does not exist in the pipeline"
        )
    transition = runs.transition(stage_name)
    transition.enabled = enabled
    transition.last_changed_by = by
    transition.last_changed_at = now
    transition.disabled_reason = None if enabled else reason
    return _settle(runs, now, ids)


def cancel_all(runs: Runs, now: datetime) -> list[Command]:
    """The pipeline is deleted: its running executions end and their runners are told to stop."""
    commands: list[Command] = []
    for execution in runs.executions:
        if not execution.active:
            continue
        for action in execution.actions:
            if action.status == IN_PROGRESS:
                action.status = ABANDONED
                action.last_update_time = now
                commands.append(_cancel(execution, action))
        execution.status = STOPPED
        execution.stop_reason = "The pipeline was deleted"
        execution.last_update_time = now
    return commands


# The machinery.


def find_action(runs: Runs, job: Job) -> ActionRun | None:
    """The action execution a job runs, if the pipeline still has it."""
    return _action(runs, job.pipeline_execution_id, job.action_execution_id)


def _action(runs: Runs, execution_id: str, action_execution_id: str) -> ActionRun | None:
    for execution in runs.executions:
        if execution.pipeline_execution_id == execution_id:
            for action in execution.actions:
                if action.action_execution_id == action_execution_id:
                    return action
    return None


def _cancel(execution: Execution, action: ActionRun) -> CancelAction:
    return CancelAction(
        execution.account_id, execution.region, execution.pipeline_name, action.action_execution_id
    )


def _end(action: ActionRun, outcome: Outcome, now: datetime) -> None:
    action.status = outcome.status
    action.last_update_time = now
    action.summary = outcome.summary
    action.external_execution_id = outcome.external_execution_id
    action.external_execution_summary = outcome.external_execution_summary
    action.external_execution_url = outcome.external_execution_url
    action.error_details = outcome.error_details
    action.output_variables = dict(outcome.output_variables)
    action.revision = outcome.revision


def _latest_in_stage(runs: Runs, index: int) -> Execution | None:
    entered = [
        e
        for e in runs.executions
        if index < len(e.stages) and e.stages[index].entered_at is not None
    ]
    return max(entered, key=lambda e: e.stages[index].entered_at, default=None)


def _occupied(runs: Runs, execution: Execution, index: int) -> bool:
    """Whether another (non-parallel) execution is inside stage ``index`` (the stage's lock)."""
    name = execution.stages[index].name
    for other in runs.executions:
        if other is execution or other.execution_mode == MODE_PARALLEL or other.waiting:
            continue
        stage = other.stages[other.stage_index]
        if stage.name == name and stage.status in ACTIVE:
            return True
    return False


def _settle(runs: Runs, now: datetime, ids: Ids) -> list[Command]:
    """Moves every execution as far as it can go without an outside event."""
    commands: list[Command] = []
    changed = True
    while changed:
        changed = False
        for execution in runs.executions:
            if execution.active and not execution.waiting:
                changed |= _advance(execution, now, ids, commands)
        changed |= _admit(runs, now, ids, commands)
    return commands


def _advance(execution: Execution, now: datetime, ids: Ids, commands: list[Command]) -> bool:
    """An execution inside a stage: next group, or the stage's end, once its group is done."""
    index = execution.stage_index
    stage = execution.stages[index]
    groups = run_order_groups(execution.stage_declaration(index))
    group = [stage.latest[a["name"]] for a in groups[stage.group] if a["name"] in stage.latest]
    if any(a.status == IN_PROGRESS for a in group):
        return False
    execution.last_update_time = now
    if execution.status == STOPPING:
        stage.status = STOPPED
        execution.status = STOPPED
        return True
    failed = [a for a in group if a.status in (FAILED, ABANDONED)]
    if failed or len(group) < len(groups[stage.group]):
        stage.status = FAILED
        execution.status = FAILED
        names = ", ".join(a.action_name for a in failed)
        execution.status_summary = f"Stage {stage.name} failed: action {names} failed"
        return True
    if stage.group + 1 < len(groups):
        stage.group += 1
        commands.extend(_start_group(execution, index, groups[stage.group], now, ids, None))
        return True
    stage.status = SUCCEEDED
    if index + 1 == len(execution.stages):
        execution.status = SUCCEEDED
    else:
        execution.stage_index = index + 1
        execution.waiting = True
    return True


def _admit(runs: Runs, now: datetime, ids: Ids, commands: list[Command]) -> bool:
    """Executions waiting at a stage's inbound: stop, supersede, wait, or enter."""
    changed = False
    for execution in runs.executions:
        if execution.waiting and execution.status == STOPPING:
            execution.status = STOPPED
            execution.last_update_time = now
            changed = True
    waiting = [e for e in runs.executions if e.active and e.waiting]
    for execution in waiting:
        if not execution.active:
            continue  # superseded earlier in this pass
        index = execution.stage_index
        if execution.execution_mode == MODE_SUPERSEDED:
            newer = [
                e
                for e in waiting
                if e is not execution
                and e.active
                and e.execution_mode == MODE_SUPERSEDED
                and e.stage_index == index
                and e.start_time >= execution.start_time
                and runs.executions.index(e) > runs.executions.index(execution)
            ]
            if newer:
                execution.status = SUPERSEDED
                execution.status_summary = (
                    f"Superseded by execution {newer[-1].pipeline_execution_id}"
                )
                execution.last_update_time = now
                changed = True
                continue
        name = execution.stages[index].name
        if index > 0 and not runs.transition(name).enabled:
            continue
        if execution.execution_mode != MODE_PARALLEL:
            if _occupied(runs, execution, index):
                continue
            if execution.execution_mode == MODE_QUEUED and any(
                e.active
                and e.waiting
                and e.stage_index == index
                and e.execution_mode == MODE_QUEUED
                for e in runs.executions[: runs.executions.index(execution)]
            ):
                continue  # an older queued execution enters first
        _enter(execution, index, now, ids, commands)
        changed = True
    return changed


def _enter(
    execution: Execution, index: int, now: datetime, ids: Ids, commands: list[Command]
) -> None:
    stage = execution.stages[index]
    execution.waiting = False
    execution.last_update_time = now
    stage.status = IN_PROGRESS
    stage.entered_at = now
    stage.group = 0
    groups = run_order_groups(execution.stage_declaration(index))
    commands.extend(_start_group(execution, index, groups[0], now, ids, None))


def _scopes(execution: Execution) -> dict[str, dict[str, str]]:
    scopes: dict[str, dict[str, str]] = {
        "variables": dict(execution.variables),
        "codepipeline": {"PipelineExecutionId": execution.pipeline_execution_id},
    }
    for action in execution.actions:
        namespace = action.declaration.get("namespace")
        if namespace and action.status == SUCCEEDED:
            scopes[namespace] = dict(action.output_variables)
    return scopes


def _produced(execution: Execution) -> dict[str, dict]:
    """The latest location of each artifact some succeeded action of this execution wrote."""
    produced: dict[str, dict] = {}
    for action in execution.actions:
        if action.status == SUCCEEDED:
            for artifact in action.output_artifacts:
                produced[artifact["name"]] = artifact
    return produced


def _start_group(
    execution: Execution,
    index: int,
    group: Iterable[dict],
    now: datetime,
    ids: Ids,
    only: set[str] | None,
) -> list[Command]:
    """Starts the actions of one run-order group (``only`` those names, for a retry)."""
    commands: list[Command] = []
    stage = execution.stages[index]
    produced = _produced(execution)
    for declaration in group:
        if only is not None and declaration["name"] not in only:
            continue
        action = ActionRun(
            action_execution_id=ids.uuid(),
            pipeline_execution_id=execution.pipeline_execution_id,
            pipeline_version=execution.pipeline_version,
            stage_name=stage.name,
            action_name=declaration["name"],
            declaration=declaration,
            status=IN_PROGRESS,
            start_time=now,
            last_update_time=now,
        )
        stage.latest[action.action_name] = action
        execution.actions.append(action)
        failure = None
        try:
            action.resolved_configuration = variables.resolve(
                declaration.get("configuration") or {}, _scopes(execution)
            )
        except variables.Unresolved as e:
            failure = str(e)
        for wanted in declaration.get("inputArtifacts") or []:
            artifact = produced.get(wanted["name"])
            if artifact is None:
                failure = failure or f"Input artifact {wanted['name']} was not produced"
            else:
                action.input_artifacts.append(copy.deepcopy(artifact))
        if failure:
            error = {"code": "JobFailed", "message": failure}
            _end(action, Outcome(FAILED, error_details=error), now)
            continue
        action.output_artifacts = [
            artifacts.location(
                execution.declaration, execution.region, a["name"], ids.artifact_id()
            )
            for a in declaration.get("outputArtifacts") or []
        ]
        if action.category == "Approval":
            action.token = ids.uuid()
        commands.append(
            StartAction(
                Job(
                    account_id=execution.account_id,
                    region=execution.region,
                    pipeline_name=execution.pipeline_name,
                    pipeline_execution_id=execution.pipeline_execution_id,
                    stage_name=stage.name,
                    action_name=action.action_name,
                    action_execution_id=action.action_execution_id,
                    action_type_id=dict(declaration["actionTypeId"]),
                    configuration=dict(action.resolved_configuration),
                    input_artifacts=copy.deepcopy(action.input_artifacts),
                    output_artifacts=copy.deepcopy(action.output_artifacts),
                    role_arn=declaration.get("roleArn") or execution.declaration.get("roleArn"),
                    source_override=copy.deepcopy(
                        execution.source_overrides.get(action.action_name)
                    ),
                    token=action.token,
                )
            )
        )
    return commands
