"""CodePipeline provider: pipelines, their executions (run by ``executor``), state and tags.

Pipelines live in moto's CodePipeline backend. On top of it:

- CreatePipeline answers ``PipelineNameInUseException`` for a duplicate (moto says
  ``InvalidStructureException``), accepts a role whose trust policy lists services as an array, and
  keeps V2 fields (``pipelineType``, ``executionMode``, ``variables``, ``triggers``) with AWS's
  defaults; like AWS, it starts a first execution (trigger ``CreatePipeline``).
- Executions run: each pipeline's ``executor.execution.Runs`` is kept in ``CodePipelineStore`` by
  pipeline name (a pipeline cannot be renamed). The handlers below only check the request, apply
  one event of ``executor.execution`` under the store's lock and hand the commands it answers to
  the one ``executor.runner.Scheduler`` (``SCHEDULER``), which runs the actions. An execution keeps
  the declaration it started with, so UpdatePipeline never changes one under way; DeletePipeline
  abandons the pipeline's running actions and drops its executions.
- GetPipelineState, GetPipelineExecution, ListPipelineExecutions and ListActionExecutions render
  those executions (``executor.shapes``); PutApprovalResult, StopPipelineExecution,
  RetryStageExecution and Disable/EnableStageTransition are events of the state machine.

``start_execution`` is also what the EventBridge target for pipelines calls (see ``hooks``); it
takes the store's lock like a request does.

AWS's behaviour followed here: the CodePipeline API Reference,
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_Operations.html (one page per
operation, ``API_<Operation>.html``), and for executions
https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, LocalAttribute
from moto.codepipeline.models import CodePipeline, codepipeline_backends
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from .common import Arn, aws_error, now, paginate
from .dispatch import Provider
from .executor import execution, shapes
from .executor.runner import Scheduler
from .state import (
    Store,
    check_tag_count,
    existing_backend,
    locked,
    locked_in,
    reject_system_tags,
)


class CodePipelineStore(Store):
    """CodePipeline state the extension adds: each pipeline's executions and transitions."""

    moto_backends = codepipeline_backends
    runs: dict[str, execution.Runs] = LocalAttribute(default=dict)


codepipeline_stores = AccountRegionBundle("codepipeline", CodePipelineStore, validate=False)


def _not_found(account_id: str, name: str) -> Exception:
    return aws_error(
        "PipelineNotFoundException",
        f"Account '{account_id}' does not have a pipeline with name '{name}'",
    )


def _get(store: CodePipelineStore, name: Any) -> CodePipeline:
    if not name:
        raise aws_error("ValidationException", "name is required")
    pipeline = store.backend.pipelines.get(name)
    if pipeline is None:
        raise _not_found(store.account_id, name)
    return pipeline


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _trusts_codepipeline(policy_document: Any) -> bool:
    """Whether a role's trust policy lets codepipeline.amazonaws.com assume it.

    The principal may be a string or a list of services (moto only accepts the string form).
    """
    if isinstance(policy_document, str):
        try:
            policy = json.loads(policy_document)
        except ValueError:
            try:
                policy = json.loads(unquote(policy_document))
            except ValueError:
                return False
    else:
        policy = policy_document or {}
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            return True
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        if isinstance(services, str):
            services = [services]
        if "codepipeline.amazonaws.com" in services:
            return True
    return False


def _check_role(account_id: str, role_arn: str) -> None:
    arn = Arn.parse(role_arn)
    if arn is None or arn.service != "iam" or not arn.resource.startswith("role/"):
        raise aws_error("InvalidStructureException", f"The role ARN {role_arn} is not valid")
    if arn.account != account_id:
        return  # a role in another account cannot be checked from here
    iam = existing_backend(iam_backends, account_id, arn.partition or "aws")
    role = None
    if iam is not None:
        role = next((r for r in list(iam.roles.values()) if r.arn == role_arn), None)
    if role is None or not _trusts_codepipeline(role.assume_role_policy_document):
        raise aws_error(
            "InvalidStructureException",
            f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}",
        )


def _validated(account_id: str, pipeline: Any) -> dict:
    """Checks a pipeline declaration and returns a copy with AWS's defaults filled in."""
    if not isinstance(pipeline, dict):
        raise aws_error("ValidationException", "pipeline is required")
    for field in ("name", "roleArn", "stages"):
        if not pipeline.get(field):
            raise aws_error("ValidationException", f"pipeline.{field} is required")
    if not pipeline.get("artifactStore") and not pipeline.get("artifactStores"):
        raise aws_error(
            "InvalidStructureException", "Pipeline must have an artifactStore or artifactStores"
        )
    stages = pipeline["stages"]
    if len(stages) < 2:
        raise aws_error(
            "InvalidStructureException",
            f"Pipeline has only {len(stages)} stage(s). There should be a minimum of 2 stages "
            "in a pipeline",
        )
    stage_names = [s.get("name") for s in stages]
    if len(set(stage_names)) != len(stage_names):
        raise aws_error("InvalidStructureException", "Stage names must be unique in a pipeline")
    for stage in stages:
        actions = stage.get("actions") or []
        if not actions:
            raise aws_error(
                "InvalidStageDeclarationException", f"Stage {stage.get('name')} has no actions"
            )
        action_names = [a.get("name") for a in actions]
        if len(set(action_names)) != len(action_names):
            raise aws_error(
                "InvalidActionDeclarationException",
                f"Action names must be unique in stage {stage.get('name')}",
            )
    _check_role(account_id, pipeline["roleArn"])

    result = copy.deepcopy(pipeline)
    result.setdefault("pipelineType", "V1")
    result.setdefault("executionMode", "SUPERSEDED")
    for stage in result["stages"]:
        for action in stage["actions"]:
            action.setdefault("runOrder", 1)
            action.setdefault("configuration", {})
            action.setdefault("inputArtifacts", [])
            action.setdefault("outputArtifacts", [])
    return result


def _check_tags(tags: list[dict], existing: Any = ()) -> None:
    """System tags and the limit of 50 (TagResource, CreatePipeline); ``existing`` keys count."""
    keys = [str(t.get("key", "")) for t in tags]
    reject_system_tags(
        keys,
        "InvalidTagsException",
        "Not allowed to modify system tags. System tags start with 'aws:'.",
    )
    check_tag_count(existing, keys, "TooManyTagsException", "A pipeline can have at most 50 tags")


def _arn_place(arn_value: Any) -> Arn:
    arn = Arn.parse(arn_value)
    if arn is None or arn.service != "codepipeline" or not arn.resource or "/" in arn.resource:
        raise aws_error("InvalidArnException", f"The ARN {arn_value} is not valid")
    return arn


def _pipeline_for_arn(store: CodePipelineStore, arn: Arn) -> CodePipeline:
    pipeline = store.backend.pipelines.get(arn.resource)
    if pipeline is None:
        raise aws_error(
            "ResourceNotFoundException",
            f"The account with id '{arn.account}' does not include a pipeline with the name "
            f"'{arn.resource}'",
        )
    return pipeline


@contextmanager
def _locked_runs(account_id: str, region: str, name: str) -> Iterator[execution.Runs | None]:
    """The scheduler's way in: a pipeline's runs under the store's lock, ``None`` once deleted."""
    with locked_in(codepipeline_stores, account_id, region) as store:
        yield store.runs.get(name) if name in store.backend.pipelines else None


def _kind_for(job: execution.Job):
    from .executor import actions

    return actions.kind_for(job)


SCHEDULER = Scheduler(_locked_runs, _kind_for)
"""Runs every pipeline's actions; its thread starts with the first action and ends with the
emulator (``hooks.pipewright_stop_executor``)."""


_REASON = re.compile(r"^[a-zA-Z0-9!@ \(\)\.\*\?\-]+$")


def _runs(store: CodePipelineStore, name: str) -> execution.Runs:
    return store.runs.setdefault(name, execution.Runs(name))


def _caller(context: RequestContext) -> str:
    return f"arn:{get_partition(context.region)}:iam::{context.account_id}:root"


def _refused(e: execution.Refused) -> Exception:
    return aws_error(e.code, e.message)


def _stage_names(pipeline: CodePipeline) -> list[str]:
    return [s["name"] for s in pipeline.pipeline["stages"]]


def start_execution(
    account_id: str,
    region: str,
    name: str,
    trigger: dict,
    variables: list[dict] | None = None,
    client_token: str | None = None,
    source_revisions: list[dict] | None = None,
) -> str:
    """Starts an execution of pipeline ``name`` and returns its id (StartPipelineExecution).

    A client token already used for this pipeline returns that execution instead of a new one.
    """
    with locked_in(codepipeline_stores, account_id, region) as store:
        pipeline = _get(store, name)
        try:
            started, commands = execution.start(
                _runs(store, name),
                account_id=account_id,
                region=region,
                declaration=pipeline.pipeline,
                trigger=trigger,
                variables_given=variables,
                source_overrides=source_revisions,
                client_request_token=client_token,
                now=SCHEDULER.clock.now(),
                ids=SCHEDULER.ids,
            )
        except execution.Refused as e:
            raise _refused(e) from e
        execution_id = started.pipeline_execution_id
    SCHEDULER.submit(commands)
    return execution_id


class CodePipelineProvider(Provider):
    service = "codepipeline"

    def create_pipeline(self, context: RequestContext, request: dict) -> dict:
        declaration = _validated(context.account_id, request.get("pipeline"))
        tags = request.get("tags") or []
        _check_tags(tags)
        name = declaration["name"]
        # CreatePipeline: PipelineNameInUseException; the check and the creation are one step.
        with locked(codepipeline_stores, context) as store:
            backend = store.backend
            if name in backend.pipelines:
                raise aws_error(
                    "PipelineNameInUseException",
                    f"A pipeline with the name '{name}' already exists in account "
                    f"'{context.account_id}'",
                )
            pipeline = CodePipeline(context.account_id, context.region, declaration)
            pipeline.tags.update({t["key"]: t.get("value", "") for t in tags})
            store.runs.pop(name, None)
            backend.pipelines[name] = pipeline
            document = copy.deepcopy(pipeline.pipeline)
        # "When you create a pipeline, it starts running automatically" (pipelines-create.html);
        # the trigger is CreatePipeline, with the caller as its detail.
        start_execution(
            context.account_id,
            context.region,
            name,
            {"triggerType": "CreatePipeline", "triggerDetail": _caller(context)},
        )
        return {"pipeline": document, "tags": sorted(tags, key=lambda t: t["key"])}

    def get_pipeline(self, context: RequestContext, request: dict) -> dict:
        with locked(codepipeline_stores, context) as store:
            pipeline = _get(store, request.get("name"))
            version = request.get("version")
            if version is not None and version != pipeline.pipeline["version"]:
                raise aws_error(
                    "PipelineVersionNotFoundException",
                    f"Pipeline {request.get('name')} has no version {version}",
                )
            return {
                "pipeline": copy.deepcopy(pipeline.pipeline),
                "metadata": {
                    "pipelineArn": pipeline._arn,
                    "created": _aware(pipeline._created),
                    "updated": _aware(pipeline._updated),
                },
            }

    def update_pipeline(self, context: RequestContext, request: dict) -> dict:
        declaration = request.get("pipeline")
        name = declaration.get("name") if isinstance(declaration, dict) else None
        with locked(codepipeline_stores, context) as store:
            _get(store, name)
        # Checking the declaration reads IAM, outside the lock; the version is then read and
        # bumped in one step (UpdatePipeline: each update is the next version).
        declaration = _validated(context.account_id, declaration)
        with locked(codepipeline_stores, context) as store:
            pipeline = _get(store, name)
            declaration["version"] = pipeline.pipeline["version"] + 1
            pipeline.pipeline = declaration
            pipeline._updated = now()
            return {"pipeline": copy.deepcopy(declaration)}

    def delete_pipeline(self, context: RequestContext, request: dict) -> dict:
        if not request.get("name"):
            raise aws_error("ValidationException", "name is required")
        # Deleting a pipeline that does not exist succeeds on AWS (DeletePipeline).
        # Its running actions are abandoned (and their runners told), its executions dropped.
        with locked(codepipeline_stores, context) as store:
            store.backend.pipelines.pop(request["name"], None)
            runs = store.runs.pop(request["name"], None)
            commands = execution.cancel_all(runs, SCHEDULER.clock.now()) if runs else []
        SCHEDULER.submit(commands)
        return {}

    def list_pipelines(self, context: RequestContext, request: dict) -> dict:
        with locked(codepipeline_stores, context) as store:
            pipelines = sorted(store.backend.pipelines.values(), key=lambda p: p.pipeline["name"])
            summaries = [
                {
                    "name": p.pipeline["name"],
                    "version": p.pipeline["version"],
                    "pipelineType": p.pipeline.get("pipelineType", "V1"),
                    "executionMode": p.pipeline.get("executionMode", "SUPERSEDED"),
                    "created": _aware(p._created),
                    "updated": _aware(p._updated),
                }
                for p in pipelines
            ]
        page, token = paginate(summaries, request.get("nextToken"), request.get("maxResults"), 1000)
        if page is None:
            raise aws_error("InvalidNextTokenException", "The next token is not valid")
        return {"pipelines": page, **({"nextToken": token} if token else {})}

    def start_pipeline_execution(self, context: RequestContext, request: dict) -> dict:
        execution_id = start_execution(
            context.account_id,
            context.region,
            request.get("name"),
            {"triggerType": "StartPipelineExecution", "triggerDetail": _caller(context)},
            variables=request.get("variables"),
            client_token=request.get("clientRequestToken"),
            source_revisions=request.get("sourceRevisions"),
        )
        return {"pipelineExecutionId": execution_id}

    def list_pipeline_executions(self, context: RequestContext, request: dict) -> dict:
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            _get(store, name)
            # Newest first, as AWS lists them.
            summaries = [shapes.summary(e) for e in reversed(_runs(store, name).executions)]
        page, token = paginate(summaries, request.get("nextToken"), request.get("maxResults"), 100)
        if page is None:
            raise aws_error("InvalidNextTokenException", "The next token is not valid")
        return {"pipelineExecutionSummaries": page, **({"nextToken": token} if token else {})}

    def get_pipeline_execution(self, context: RequestContext, request: dict) -> dict:
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            _get(store, name)
            try:
                found = _runs(store, name).find(request.get("pipelineExecutionId"))
            except execution.Refused as e:
                raise _refused(e) from e
            return {"pipelineExecution": shapes.detail(found)}

    def get_pipeline_state(self, context: RequestContext, request: dict) -> dict:
        with locked(codepipeline_stores, context) as store:
            name = request.get("name")
            pipeline = _get(store, name)
            declaration = pipeline.pipeline
            return {
                "pipelineName": declaration["name"],
                "pipelineVersion": declaration["version"],
                "stageStates": shapes.pipeline_state(_runs(store, name), declaration),
                "created": _aware(pipeline._created),
                "updated": _aware(pipeline._updated),
            }

    def list_action_executions(self, context: RequestContext, request: dict) -> dict:
        execution_id = (request.get("filter") or {}).get("pipelineExecutionId")
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            _get(store, name)
            try:
                details = shapes.action_details(_runs(store, name), execution_id)
            except execution.Refused as e:
                raise _refused(e) from e
        page, token = paginate(details, request.get("nextToken"), request.get("maxResults"), 100)
        if page is None:
            raise aws_error("InvalidNextTokenException", "The next token is not valid")
        return {"actionExecutionDetails": page, **({"nextToken": token} if token else {})}

    def put_approval_result(self, context: RequestContext, request: dict) -> dict:
        result = request.get("result") or {}
        # ApprovalResult: summary and status (Approved | Rejected) are both required.
        if result.get("status") not in ("Approved", "Rejected") or result.get("summary") is None:
            raise aws_error(
                "ValidationException", "result needs a summary and a status of Approved or Rejected"
            )
        if not request.get("token"):
            raise aws_error("ValidationException", "token is required")
        stage_name, action_name = request.get("stageName"), request.get("actionName")
        with locked(codepipeline_stores, context) as store:
            pipeline = _get(store, request.get("pipelineName"))
            stage = next((s for s in pipeline.pipeline["stages"] if s["name"] == stage_name), None)
            if stage is None:
                raise aws_error(
                    "StageNotFoundException", f"Stage {stage_name} does not exist in the pipeline"
                )
            if not any(a["name"] == action_name for a in stage["actions"]):
                raise aws_error(
                    "ActionNotFoundException",
                    f"Action {action_name} does not exist in stage {stage_name}",
                )
            approved_at = SCHEDULER.clock.now()
            try:
                commands = execution.approve(
                    _runs(store, pipeline.pipeline["name"]),
                    stage_name=stage_name,
                    action_name=action_name,
                    token=request.get("token"),
                    status=result["status"],
                    summary=result.get("summary"),
                    by=_caller(context),
                    now=approved_at,
                    ids=SCHEDULER.ids,
                )
            except execution.Refused as e:
                raise _refused(e) from e
        SCHEDULER.submit(commands)
        return {"approvedAt": approved_at}

    def stop_pipeline_execution(self, context: RequestContext, request: dict) -> dict:
        execution_id = request.get("pipelineExecutionId")
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            _get(store, name)
            try:
                commands = execution.stop(
                    _runs(store, name),
                    execution_id,
                    abandon=bool(request.get("abandon")),
                    reason=request.get("reason"),
                    now=SCHEDULER.clock.now(),
                    ids=SCHEDULER.ids,
                )
            except execution.Refused as e:
                raise _refused(e) from e
        SCHEDULER.submit(commands)
        return {"pipelineExecutionId": execution_id}

    def retry_stage_execution(self, context: RequestContext, request: dict) -> dict:
        execution_id = request.get("pipelineExecutionId")
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            pipeline = _get(store, name)
            if request.get("stageName") not in _stage_names(pipeline):
                raise aws_error(
                    "StageNotFoundException",
                    f"Stage {request.get('stageName')} does not exist in the pipeline",
                )
            try:
                commands = execution.retry(
                    _runs(store, name),
                    execution_id,
                    stage_name=request.get("stageName"),
                    mode=request.get("retryMode"),
                    current_version=pipeline.pipeline["version"],
                    now=SCHEDULER.clock.now(),
                    ids=SCHEDULER.ids,
                )
            except execution.Refused as e:
                raise _refused(e) from e
        SCHEDULER.submit(commands)
        return {"pipelineExecutionId": execution_id}

    def disable_stage_transition(self, context: RequestContext, request: dict) -> dict:
        reason = request.get("reason")
        # DisabledReason: 1-300 characters of [a-zA-Z0-9!@ \(\)\.\*\?\-].
        if not reason or len(reason) > 300 or not _REASON.match(reason):
            raise aws_error("ValidationException", "reason must be 1-300 permitted characters")
        return self._transition(context, request, enabled=False, reason=reason)

    def enable_stage_transition(self, context: RequestContext, request: dict) -> dict:
        return self._transition(context, request, enabled=True, reason=None)

    def _transition(self, context, request: dict, *, enabled: bool, reason) -> dict:
        # Only inbound transitions are emulated; the first stage has none (transitions.html:
        # a transition links a stage to the one before it).
        if request.get("transitionType") != "Inbound":
            raise aws_error(
                "ValidationException",
                f"transitionType {request.get('transitionType')} is not supported: use Inbound",
            )
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            pipeline = _get(store, name)
            names = _stage_names(pipeline)
            stage_name = request.get("stageName")
            if names and stage_name == names[0]:
                raise aws_error(
                    "ValidationException",
                    f"Stage {stage_name} is first and has no inbound transition",
                )
            try:
                commands = execution.set_transition(
                    _runs(store, name),
                    names,
                    stage_name,
                    enabled=enabled,
                    by=_caller(context),
                    reason=reason,
                    now=SCHEDULER.clock.now(),
                    ids=SCHEDULER.ids,
                )
            except execution.Refused as e:
                raise _refused(e) from e
        SCHEDULER.submit(commands)
        return {}

    # Tags on pipeline ARNs (TagResource, UntagResource, ListTagsForResource), kept in moto's
    # own ``tags`` of the pipeline.

    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        arn = _arn_place(request.get("resourceArn"))
        tags = request.get("tags") or []
        # The count is checked against the tags it is added to, under one lock.
        with locked_in(codepipeline_stores, arn.account, arn.region) as store:
            pipeline = _pipeline_for_arn(store, arn)
            _check_tags(tags, pipeline.tags)
            pipeline.tags.update({t["key"]: t.get("value", "") for t in tags})
        return {}

    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        arn = _arn_place(request.get("resourceArn"))
        with locked_in(codepipeline_stores, arn.account, arn.region) as store:
            pipeline = _pipeline_for_arn(store, arn)
            for key in request.get("tagKeys") or []:
                pipeline.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        arn = _arn_place(request.get("resourceArn"))
        with locked_in(codepipeline_stores, arn.account, arn.region) as store:
            tags = sorted(_pipeline_for_arn(store, arn).tags.items())
        return {"tags": [{"key": k, "value": v} for k, v in tags]}


def tagged_resources(store: CodePipelineStore):
    """(ARN, resource type, tags) for every pipeline; used by the tagging API."""
    with store.lock:
        found = [(p._arn, "pipeline", dict(p.tags)) for p in store.backend.pipelines.values()]
    yield from found
