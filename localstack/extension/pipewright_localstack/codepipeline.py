"""CodePipeline provider: pipelines, recorded executions, pipeline state and tags.

Pipelines live in moto's CodePipeline backend. On top of it:

- CreatePipeline answers ``PipelineNameInUseException`` for a duplicate (moto says
  ``InvalidStructureException``), accepts a role whose trust policy lists services as an array, and
  keeps V2 fields (``pipelineType``, ``executionMode``, ``variables``, ``triggers``) with AWS's
  defaults;
- executions are recorded, not run: nothing here builds or deploys, so each execution is complete
  (``Succeeded``) as soon as it is started. They are kept in ``CodePipelineStore`` by pipeline
  name (a pipeline cannot be renamed) as ``Execution`` records, and are dropped with the pipeline.
  CreatePipeline does not start one (AWS does), which keeps "an event started the pipeline"
  observable on its own.
- GetPipelineState reports every stage and action, with the latest execution.

``start_execution`` is also what the EventBridge target for pipelines calls (see ``hooks``); it
takes the store's lock like a request does.

AWS's behaviour followed here: the CodePipeline API Reference,
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_Operations.html (one page per
operation, ``API_<Operation>.html``), and for executions
https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from dataclasses import dataclass
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
from .state import (
    Store,
    check_tag_count,
    existing_backend,
    locked,
    locked_in,
    reject_system_tags,
)


@dataclass
class Execution:
    """One pipeline execution, as PipelineExecution and PipelineExecutionSummary describe it."""

    pipeline_execution_id: str
    pipeline_name: str
    pipeline_version: int
    status: str
    status_summary: str
    start_time: datetime
    last_update_time: datetime
    trigger: dict
    execution_mode: str
    execution_type: str = "STANDARD"
    # Resolved variables, as [{"name", "resolvedValue"}].
    variables: list[dict] = dataclasses.field(default_factory=list)
    client_request_token: str | None = None

    def summary(self) -> dict:
        """A PipelineExecutionSummary (ListPipelineExecutions)."""
        return {
            "pipelineExecutionId": self.pipeline_execution_id,
            "status": self.status,
            "statusSummary": self.status_summary,
            "startTime": self.start_time,
            "lastUpdateTime": self.last_update_time,
            "trigger": copy.deepcopy(self.trigger),
            "executionMode": self.execution_mode,
            "executionType": self.execution_type,
            "sourceRevisions": [],
        }

    def detail(self) -> dict:
        """A PipelineExecution (GetPipelineExecution)."""
        return {
            "pipelineExecutionId": self.pipeline_execution_id,
            "pipelineName": self.pipeline_name,
            "pipelineVersion": self.pipeline_version,
            "status": self.status,
            "statusSummary": self.status_summary,
            "trigger": copy.deepcopy(self.trigger),
            "executionMode": self.execution_mode,
            "executionType": self.execution_type,
            "variables": copy.deepcopy(self.variables),
            "artifactRevisions": [],
        }


class CodePipelineStore(Store):
    """CodePipeline state the extension adds: each pipeline's executions, oldest first, by name."""

    moto_backends = codepipeline_backends
    executions: dict[str, list[Execution]] = LocalAttribute(default=dict)


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


def start_execution(
    account_id: str,
    region: str,
    name: str,
    trigger: dict,
    variables: list[dict] | None = None,
    client_token: str | None = None,
) -> str:
    """Records an execution of pipeline ``name`` and returns its id (StartPipelineExecution).

    A client token already used for this pipeline returns that execution instead of a new one.
    """
    with locked_in(codepipeline_stores, account_id, region) as store:
        pipeline = _get(store, name)
        executions = store.executions.setdefault(name, [])
        if client_token:
            for execution in executions:
                if execution.client_request_token == client_token:
                    return execution.pipeline_execution_id
        started = now()
        declared = {
            v["name"]: v.get("defaultValue", "") for v in pipeline.pipeline.get("variables") or []
        }
        for variable in variables or []:
            declared[variable["name"]] = variable.get("value", "")
        execution = Execution(
            pipeline_execution_id=str(uuid.uuid4()),
            pipeline_name=name,
            pipeline_version=pipeline.pipeline["version"],
            status="Succeeded",
            status_summary="Recorded by the pipewright LocalStack extension; no action ran",
            start_time=started,
            last_update_time=started,
            trigger=trigger,
            execution_mode=pipeline.pipeline.get("executionMode", "SUPERSEDED"),
            variables=[{"name": k, "resolvedValue": v} for k, v in declared.items()],
            client_request_token=client_token,
        )
        executions.append(execution)
        return execution.pipeline_execution_id


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
            store.executions.pop(name, None)
            backend.pipelines[name] = pipeline
            document = copy.deepcopy(pipeline.pipeline)
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
        with locked(codepipeline_stores, context) as store:
            store.backend.pipelines.pop(request["name"], None)
            store.executions.pop(request["name"], None)
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
        caller = f"arn:{get_partition(context.region)}:iam::{context.account_id}:root"
        execution_id = start_execution(
            context.account_id,
            context.region,
            request.get("name"),
            {"triggerType": "StartPipelineExecution", "triggerDetail": caller},
            variables=request.get("variables"),
            client_token=request.get("clientRequestToken"),
        )
        return {"pipelineExecutionId": execution_id}

    def list_pipeline_executions(self, context: RequestContext, request: dict) -> dict:
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            _get(store, name)
            # Newest first, as AWS lists them.
            summaries = [e.summary() for e in reversed(store.executions.get(name, []))]
        page, token = paginate(summaries, request.get("nextToken"), request.get("maxResults"), 100)
        if page is None:
            raise aws_error("InvalidNextTokenException", "The next token is not valid")
        return {"pipelineExecutionSummaries": page, **({"nextToken": token} if token else {})}

    def get_pipeline_execution(self, context: RequestContext, request: dict) -> dict:
        wanted = request.get("pipelineExecutionId")
        with locked(codepipeline_stores, context) as store:
            name = request.get("pipelineName")
            _get(store, name)
            execution = next(
                (e for e in store.executions.get(name, []) if e.pipeline_execution_id == wanted),
                None,
            )
            if execution is None:
                raise aws_error(
                    "PipelineExecutionNotFoundException",
                    f"Pipeline execution {wanted} does not exist in pipeline {name}",
                )
            return {"pipelineExecution": execution.detail()}

    def get_pipeline_state(self, context: RequestContext, request: dict) -> dict:
        with locked(codepipeline_stores, context) as store:
            name = request.get("name")
            pipeline = _get(store, name)
            executions = store.executions.get(name, [])
            latest = executions[-1] if executions else None
            declaration = copy.deepcopy(pipeline.pipeline)
            created, updated = _aware(pipeline._created), _aware(pipeline._updated)
        stage_states = []
        for index, stage in enumerate(declaration["stages"]):
            action_states = []
            for action in stage.get("actions") or []:
                state: dict = {"actionName": action["name"]}
                if latest is not None:
                    state["latestExecution"] = {
                        "actionExecutionId": str(
                            uuid.uuid5(
                                uuid.NAMESPACE_URL,
                                latest.pipeline_execution_id + stage["name"] + action["name"],
                            )
                        ),
                        "status": latest.status,
                        "lastStatusChange": latest.last_update_time,
                    }
                action_states.append(state)
            stage_state: dict = {"stageName": stage["name"], "actionStates": action_states}
            if index > 0:
                stage_state["inboundTransitionState"] = {"enabled": True}
            if latest is not None:
                stage_state["latestExecution"] = {
                    "pipelineExecutionId": latest.pipeline_execution_id,
                    "status": latest.status,
                }
            stage_states.append(stage_state)
        return {
            "pipelineName": declaration["name"],
            "pipelineVersion": declaration["version"],
            "stageStates": stage_states,
            "created": created,
            "updated": updated,
        }

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
