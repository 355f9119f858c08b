"""CodeBuild provider: projects stored whole, as given, with AWS's defaults filled in.

Projects live in moto's CodeBuild backend so that moto's build operations (StartBuild,
BatchGetBuilds, ListBuilds...) keep working on them. moto's own CreateProject rejects
``CODEPIPELINE`` / ``NO_SOURCE`` sources and artifacts without a location, BatchGetProjects omits
``projectsNotFound`` and UpdateProject is missing; those are implemented here. The project document
AWS returns is kept in ``CodeBuildStore`` by project name (names cannot change) and returned as is;
moto's record keeps what its build operations read (the service role).

AWS's behaviour followed here: the CodeBuild API Reference,
https://docs.aws.amazon.com/codebuild/latest/APIReference/API_Operations.html
(``API_CreateProject``, ``API_UpdateProject``, ``API_BatchGetProjects``, ``API_ListProjects``,
``API_DeleteProject``).
"""

from __future__ import annotations

import copy
import os
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, LocalAttribute
from moto.codebuild.models import CodeBuild, CodeBuildBackend, codebuild_backends

from .builds import runner
from .common import aws_error, now, paginate
from .dispatch import Provider
from .state import Store, locked, locked_in, reject_system_tags, tag_list_to_dict


class CodeBuildStore(Store):
    """CodeBuild state the extension adds: each project's whole document, by project name."""

    moto_backends = codebuild_backends
    projects: dict[str, dict] = LocalAttribute(default=dict)
    # Builds by id (``runner.Build``: each record under its own lock), in start order.
    builds: dict[str, Any] = LocalAttribute(default=dict)
    build_order: list[str] = LocalAttribute(default=list)
    build_numbers: dict[str, int] = LocalAttribute(default=dict)
    # Report groups and reports by ARN; a report's test cases and coverages by report ARN.
    report_groups: dict[str, dict] = LocalAttribute(default=dict)
    reports: dict[str, dict] = LocalAttribute(default=dict)
    test_cases: dict[str, list] = LocalAttribute(default=dict)
    code_coverages: dict[str, list] = LocalAttribute(default=dict)


codebuild_stores = AccountRegionBundle("codebuild", CodeBuildStore, validate=False)

_PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$")

# Source types that point somewhere and so need a location; CODEPIPELINE gets its input from the
# pipeline and NO_SOURCE from an inline buildspec.
_SOURCE_TYPES_WITH_LOCATION = {
    "CODECOMMIT",
    "GITHUB",
    "GITHUB_ENTERPRISE",
    "GITLAB",
    "GITLAB_SELF_MANAGED",
    "BITBUCKET",
    "S3",
}

# Fields of Create/UpdateProject copied verbatim into the project document.
_PLAIN_FIELDS = (
    "description",
    "source",
    "secondarySources",
    "sourceVersion",
    "secondarySourceVersions",
    "artifacts",
    "secondaryArtifacts",
    "cache",
    "environment",
    "serviceRole",
    "timeoutInMinutes",
    "queuedTimeoutInMinutes",
    "encryptionKey",
    "tags",
    "vpcConfig",
    "logsConfig",
    "fileSystemLocations",
    "buildBatchConfig",
    "concurrentBuildLimit",
    "autoRetryLimit",
)


def _invalid(message: str) -> Exception:
    return aws_error("InvalidInputException", message)


def _validate_source(source: Any, field: str) -> None:
    if not isinstance(source, dict) or not source.get("type"):
        raise _invalid(f"Invalid input: {field} type is required")
    kind = source["type"]
    if kind in _SOURCE_TYPES_WITH_LOCATION and not source.get("location"):
        raise _invalid(f"Invalid input: {field} location is required for type {kind}")
    if kind == "NO_SOURCE" and not source.get("buildspec"):
        raise _invalid(f"Invalid input: {field} of type NO_SOURCE requires a buildspec")


def _validate_artifacts(artifacts: Any, field: str) -> None:
    if not isinstance(artifacts, dict) or not artifacts.get("type"):
        raise _invalid(f"Invalid input: {field} type is required")
    kind = artifacts["type"]
    if kind == "S3" and not artifacts.get("location"):
        raise _invalid(f"Invalid input: {field} location is required for type S3")
    if kind == "NO_ARTIFACTS" and artifacts.get("location"):
        raise _invalid("Invalid artifacts: artifact type NO_ARTIFACTS should have null location")


def _validate_environment(environment: Any) -> None:
    if not isinstance(environment, dict):
        raise _invalid("Invalid input: environment is required")
    for key in ("type", "image", "computeType"):
        if not environment.get(key):
            raise _invalid(f"Invalid input: environment {key} is required")


def _validate(request: dict, creating: bool) -> None:
    if creating or "source" in request:
        _validate_source(request.get("source"), "source")
    for i, source in enumerate(request.get("secondarySources") or []):
        _validate_source(source, f"secondarySources[{i}]")
    if creating or "artifacts" in request:
        _validate_artifacts(request.get("artifacts"), "artifacts")
    for i, artifacts in enumerate(request.get("secondaryArtifacts") or []):
        _validate_artifacts(artifacts, f"secondaryArtifacts[{i}]")
    if creating or "environment" in request:
        _validate_environment(request.get("environment"))
    if creating and not request.get("serviceRole"):
        raise _invalid("Invalid input: serviceRole is required")
    for field, low, high in (("timeoutInMinutes", 5, 2160), ("queuedTimeoutInMinutes", 5, 480)):
        value = request.get(field)
        if value is not None and not low <= value <= high:
            raise _invalid(f"Invalid input: {field} must be between {low} and {high}")
    for tag in request.get("tags") or []:
        key = tag.get("key", "")
        reject_system_tags(
            (key,),
            "InvalidInputException",
            f"Invalid tag: the key '{key}' uses the reserved prefix 'aws:'",
        )


def _apply(project: dict, request: dict) -> None:
    """Copies the given fields into the project document and fills AWS's defaults."""
    for field in _PLAIN_FIELDS:
        if field in request and request[field] is not None:
            project[field] = copy.deepcopy(request[field])
    if request.get("badgeEnabled") is not None:
        project["badge"] = {"badgeEnabled": bool(request["badgeEnabled"])}

    # Defaults AWS fills in and returns from BatchGetProjects.
    project.setdefault("timeoutInMinutes", 60)
    project.setdefault("queuedTimeoutInMinutes", 480)
    project.setdefault("cache", {"type": "NO_CACHE"})
    project.setdefault("badge", {"badgeEnabled": False})
    project.setdefault("tags", [])
    project.setdefault("projectVisibility", "PRIVATE")
    project.setdefault(
        "logsConfig",
        {
            "cloudWatchLogs": {"status": "ENABLED"},
            "s3Logs": {"status": "DISABLED", "encryptionDisabled": False},
        },
    )
    environment = project.get("environment")
    if isinstance(environment, dict):
        environment.setdefault("environmentVariables", [])
        environment.setdefault("privilegedMode", False)
        environment.setdefault("imagePullCredentialsType", "CODEBUILD")
        for variable in environment["environmentVariables"]:
            variable.setdefault("type", "PLAINTEXT")


def _find(backend: CodeBuildBackend, name_or_arn: str) -> CodeBuild | None:
    """A project by name or ARN (the CodeBuild operations accept either)."""
    project = backend.codebuild_projects.get(name_or_arn)
    if project is None and name_or_arn.startswith("arn:"):
        project = next(
            (p for p in backend.codebuild_projects.values() if p.arn == name_or_arn), None
        )
    return project


def _document(store: CodeBuildStore, model: CodeBuild) -> dict:
    """The project as AWS returns it; moto's rendering for a project moto made alone."""
    return store.projects.get(model.project_metadata["name"]) or model.project_metadata


class _ProjectOperations:
    def create_project(self, context: RequestContext, request: dict) -> dict:
        name = request.get("name") or ""
        if not _PROJECT_NAME.match(name):
            raise _invalid(
                f"Invalid project name: {name!r}: 2 to 255 letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        _validate(request, creating=True)
        # The name check and the creation are one step under the store's lock (CreateProject:
        # ResourceAlreadyExistsException for a name in use).
        with locked(codebuild_stores, context) as store:
            backend = store.backend
            if name in backend.codebuild_projects:
                project = backend.codebuild_projects[name]
                raise aws_error(
                    "ResourceAlreadyExistsException", f"Project already exists: {project.arn}"
                )

            # moto's record keeps what its build operations need; the document we return is ours.
            backend.create_project(
                project_name=name,
                description=request.get("description"),
                project_source=request["source"],
                artifacts=request["artifacts"],
                environment=request["environment"],
                service_role=request["serviceRole"],
                tags=request.get("tags"),
                cache=request.get("cache"),
                timeout=request.get("timeoutInMinutes"),
                queued_timeout=request.get("queuedTimeoutInMinutes"),
                source_version=request.get("sourceVersion"),
                logs_config=request.get("logsConfig"),
                vpc_config=request.get("vpcConfig"),
            )
            model = backend.codebuild_projects[name]
            model.service_role = request["serviceRole"]
            created = now()
            project = {
                "name": name,
                "arn": model.arn,
                "encryptionKey": (
                    f"arn:{context.partition}:kms:{context.region}:{context.account_id}:alias/aws/s3"
                ),
                "created": created,
                "lastModified": created,
            }
            _apply(project, request)
            store.projects[name] = project
            return {"project": copy.deepcopy(project)}

    def batch_get_projects(self, context: RequestContext, request: dict) -> dict:
        names = request.get("names") or []
        if not names or len(names) > 100:
            raise _invalid("Invalid input: between 1 and 100 project names are required")
        projects, not_found = [], []
        with locked(codebuild_stores, context) as store:
            for name in names:
                model = _find(store.backend, name)
                if model is None:
                    not_found.append(name)
                else:
                    projects.append(copy.deepcopy(_document(store, model)))
        return {"projects": projects, "projectsNotFound": not_found}

    def update_project(self, context: RequestContext, request: dict) -> dict:
        name = request.get("name") or ""
        # Found, then changed, with no delete in between.
        with locked(codebuild_stores, context) as store:
            model = _find(store.backend, name)
            if model is None:
                raise aws_error(
                    "ResourceNotFoundException",
                    f"Project cannot be found: arn:{context.partition}:codebuild:{context.region}:"
                    f"{context.account_id}:project/{name}",
                )
            _validate(request, creating=False)
            project = store.projects.setdefault(
                model.project_metadata["name"], copy.deepcopy(model.project_metadata)
            )
            _apply(project, request)
            project["lastModified"] = now()
            if request.get("serviceRole"):
                model.service_role = request["serviceRole"]
            return {"project": copy.deepcopy(project)}

    def list_projects(self, context: RequestContext, request: dict) -> dict:
        sort_by = request.get("sortBy") or "NAME"
        order = request.get("sortOrder") or "ASCENDING"
        key = {"NAME": "name", "CREATED_TIME": "created", "LAST_MODIFIED_TIME": "lastModified"}
        if sort_by not in key or order not in ("ASCENDING", "DESCENDING"):
            raise _invalid(f"Invalid input: sortBy {sort_by} / sortOrder {order}")
        with locked(codebuild_stores, context) as store:
            projects = [_document(store, m) for m in store.backend.codebuild_projects.values()]
            projects.sort(key=lambda p: p[key[sort_by]], reverse=(order == "DESCENDING"))
            names = [p["name"] for p in projects]
        page, token = paginate(names, request.get("nextToken"), None, 100)
        if page is None:
            raise _invalid("Invalid input: nextToken is not valid")
        return {"projects": page, **({"nextToken": token} if token else {})}

    def delete_project(self, context: RequestContext, request: dict) -> dict:
        # Deleting a project that does not exist succeeds on AWS.
        with locked(codebuild_stores, context) as store:
            backend = store.backend
            model = _find(backend, request.get("name") or "")
            if model is not None:
                name = model.project_metadata["name"]
                backend.codebuild_projects.pop(name, None)
                backend.build_metadata.pop(name, None)
                store.projects.pop(name, None)
        return {}


def tagged_resources(store: CodeBuildStore):
    """(ARN, resource type, tags) for every project; used by the tagging API."""
    with store.lock:
        found = [
            (model.arn, "project", _document(store, model).get("tags") or [])
            for model in store.backend.codebuild_projects.values()
        ]
        found += [
            (group["arn"], "report-group", group.get("tags") or [])
            for group in store.report_groups.values()
        ]
    for arn, kind, tags in found:
        yield arn, kind, tag_list_to_dict(tags)


# ------------------------------------------------------------------------------------------------
# Builds: StartBuild, BatchGetBuilds, StopBuild, RetryBuild, ListBuilds, ListBuildsForProject
# (API reference, API_StartBuild ... API_ListBuildsForProject; the Build shape). A build runs on
# the host in the background (``builds.runner``); its record is the build's own, under its own
# lock, so reading a running build never waits for it and no store lock is held while it runs.


def _endpoint() -> str:
    """The emulator's own endpoint, which a build's AWS calls go to (``AWS_ENDPOINT_URL``)."""
    from localstack import config

    listen = config.GATEWAY_LISTEN[0]
    host = listen.host if listen.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{listen.port}"


def _builds_root() -> Path:
    """``<instance folder>/builds``: every build's workspace, HOME and TMPDIR are beneath it."""
    instance = os.environ.get("PIPEWRIGHT_INSTANCE_DIR", "").strip()
    if instance:
        return Path(instance) / "builds"
    from localstack import config

    return Path(config.dirs.tmp) / "pipewright-builds"


def _s3_location(artifact: dict) -> str:
    return f"{artifact['s3location']['bucket']}/{artifact['s3location']['key']}"


def _logs_location(region: str, account_id: str, config: dict, project: str, uuid_: str) -> dict:
    cloudwatch = dict((config or {}).get("cloudWatchLogs") or {"status": "ENABLED"})
    s3_logs = dict((config or {}).get("s3Logs") or {"status": "DISABLED"})
    location: dict[str, Any] = {"cloudWatchLogs": cloudwatch, "s3Logs": s3_logs}
    if cloudwatch.get("status", "ENABLED") == "ENABLED":
        group = cloudwatch.get("groupName") or f"/aws/codebuild/{project}"
        prefix = cloudwatch.get("streamName")
        stream = f"{prefix}/{uuid_}" if prefix else uuid_
        location.update(
            {
                "groupName": group,
                "streamName": stream,
                "deepLink": (
                    f"https://console.aws.amazon.com/cloudwatch/home?region={region}"
                    f"#logEvent:group={quote(group, safe='')};stream={quote(stream, safe='')}"
                ),
                "cloudWatchLogsArn": (
                    f"arn:aws:logs:{region}:{account_id}:log-group:{group}:log-stream:{stream}"
                ),
            }
        )
    return location


def _parse_env_overrides(variables: list[dict] | None) -> list[dict]:
    out = []
    for v in variables or []:
        kind = v.get("type") or "PLAINTEXT"
        if kind not in ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"):
            raise _invalid(f"Invalid environment variable type {kind} for {v.get('name')}")
        if not v.get("name"):
            raise _invalid("Invalid input: environment variable name is required")
        out.append({"name": v["name"], "value": str(v.get("value", "")), "type": kind})
    return out


def _new_build(
    account_id: str,
    region: str,
    project_name: str,
    request: dict,
    *,
    initiator: str,
    pipeline_sources: list[dict] | None = None,
    pipeline_outputs: list[dict] | None = None,
) -> runner.Build:
    """Makes a build's record from its project and the StartBuild request (overrides applied)."""
    with locked_in(codebuild_stores, account_id, region) as store:
        model = _find(store.backend, project_name)
        if model is None:
            raise aws_error(
                "ResourceNotFoundException",
                f"Project cannot be found: arn:aws:codebuild:{region}:{account_id}:project/"
                f"{project_name}",
            )
        name = model.project_metadata["name"]
        project = copy.deepcopy(_document(store, model))
        number = store.build_numbers.get(name, 0) + 1
        store.build_numbers[name] = number

    uuid_ = str(uuid.uuid4())
    build_id = f"{name}:{uuid_}"
    source = copy.deepcopy(project.get("source") or {"type": "NO_SOURCE"})
    if request.get("sourceTypeOverride"):
        source["type"] = request["sourceTypeOverride"]
    if request.get("sourceLocationOverride"):
        source["location"] = request["sourceLocationOverride"]
    if request.get("buildspecOverride"):
        source["buildspec"] = request["buildspecOverride"]
    source_version = request.get("sourceVersion") or project.get("sourceVersion")

    sources: list[dict] = []
    secondary_sources: list[dict] = []
    if pipeline_sources is not None:
        primary, *others = pipeline_sources or [None]
        if primary is not None:
            source = {**source, "type": "CODEPIPELINE", "location": _s3_location(primary)}
            sources.append(
                {"identifier": None, "type": "CODEPIPELINE", "location": _s3_location(primary)}
            )
            source_version = _s3_location(primary)
        else:
            sources.append({"identifier": None, "type": "NO_SOURCE"})
        for artifact in others:
            entry = {
                "type": "S3",
                "location": _s3_location(artifact),
                "sourceIdentifier": artifact["name"],
            }
            secondary_sources.append(entry)
            sources.append(
                {
                    "identifier": artifact["name"],
                    "type": "CODEPIPELINE",
                    "location": _s3_location(artifact),
                }
            )
    else:
        kind = source.get("type")
        if kind in ("CODEPIPELINE", "S3", "CODECOMMIT") and not source.get("location"):
            raise _invalid(f"Invalid input: source location is required for type {kind}")
        if kind not in ("CODEPIPELINE", "S3", "CODECOMMIT", "NO_SOURCE"):
            raise _invalid(f"Source type {kind} is not emulated by the pipewright extension")
        sources.append(
            {
                "identifier": None,
                "type": kind,
                "location": source.get("location"),
                "version": source_version,
            }
        )
        overrides = request.get("secondarySourcesOverride")
        for extra in overrides if overrides is not None else project.get("secondarySources") or []:
            ident = extra.get("sourceIdentifier")
            if not ident:
                raise _invalid("Invalid input: secondary sources need a sourceIdentifier")
            secondary_sources.append(copy.deepcopy(extra))
            sources.append(
                {"identifier": ident, "type": extra.get("type"), "location": extra.get("location")}
            )

    outputs: list[dict] = []
    artifacts_doc: dict = {}
    secondary_artifacts_doc: list[dict] = []
    if pipeline_outputs is not None:
        for i, artifact in enumerate(pipeline_outputs):
            loc = artifact["s3location"]
            outputs.append(
                {
                    "identifier": artifact["name"],
                    "primary": i == 0,
                    "bucket": loc["bucket"],
                    "key": loc["key"],
                }
            )
            entry = {
                "location": f"arn:aws:s3:::{_s3_location(artifact)}",
                "artifactIdentifier": artifact["name"],
            }
            if i == 0:
                artifacts_doc = {"location": entry["location"]}
            else:
                secondary_artifacts_doc.append(entry)
    else:
        declared = request.get("artifactsOverride") or project.get("artifacts") or {}
        seconds = request.get("secondaryArtifactsOverride")
        seconds = seconds if seconds is not None else project.get("secondaryArtifacts") or []
        for i, artifact in enumerate([declared, *seconds]):
            if artifact.get("type") != "S3":
                continue  # NO_ARTIFACTS, or CODEPIPELINE outside a pipeline: nothing to upload
            parts = [artifact.get("path") or ""]
            if artifact.get("namespaceType") == "BUILD_ID":
                parts.append(uuid_)
            parts.append(artifact.get("name") or name)
            key = "/".join(p.strip("/") for p in parts if p)
            output = {
                "identifier": artifact.get("artifactIdentifier"),
                "primary": i == 0,
                "bucket": artifact["location"],
                "key": key,
                "packaging": artifact.get("packaging") or "NONE",
                "encryptionDisabled": bool(artifact.get("encryptionDisabled")),
            }
            outputs.append(output)
            entry = {"location": f"arn:aws:s3:::{artifact['location']}/{key}"}
            if i == 0:
                artifacts_doc = entry
            else:
                secondary_artifacts_doc.append(
                    {**entry, "artifactIdentifier": artifact.get("artifactIdentifier")}
                )

    timeout = request.get("timeoutInMinutesOverride") or project.get("timeoutInMinutes") or 60
    queued = (
        request.get("queuedTimeoutInMinutesOverride")
        or project.get("queuedTimeoutInMinutes")
        or 480
    )
    for field_name, value, low, high in (
        ("timeoutInMinutesOverride", timeout, 5, 2160),
        ("queuedTimeoutInMinutesOverride", queued, 5, 480),
    ):
        if not low <= int(value) <= high:
            raise _invalid(f"Invalid input: {field_name} must be between {low} and {high}")
    environment = copy.deepcopy(project.get("environment") or {})
    for key, field_name in (
        ("imageOverride", "image"),
        ("computeTypeOverride", "computeType"),
        ("environmentTypeOverride", "type"),
        ("privilegedModeOverride", "privilegedMode"),
    ):
        if request.get(key) is not None:
            environment[field_name] = request[key]
    overrides = _parse_env_overrides(request.get("environmentVariablesOverride"))
    merged = {v["name"]: v for v in environment.get("environmentVariables") or []}
    merged.update({v["name"]: v for v in overrides})
    environment["environmentVariables"] = list(merged.values())
    logs_config = request.get("logsConfigOverride") or project.get("logsConfig") or {}

    started = now()
    doc = {
        "id": build_id,
        "arn": f"arn:aws:codebuild:{region}:{account_id}:build/{build_id}",
        "buildNumber": number,
        "startTime": started,
        "currentPhase": "SUBMITTED",
        "buildStatus": "IN_PROGRESS",
        "projectName": name,
        "phases": [],
        "source": source,
        "secondarySources": secondary_sources,
        "secondarySourceVersions": [],
        "artifacts": artifacts_doc,
        "secondaryArtifacts": secondary_artifacts_doc,
        "cache": copy.deepcopy(
            request.get("cacheOverride") or project.get("cache") or {"type": "NO_CACHE"}
        ),
        "environment": environment,
        "serviceRole": request.get("serviceRoleOverride") or project.get("serviceRole"),
        "logs": _logs_location(region, account_id, logs_config, name, uuid_),
        "timeoutInMinutes": int(timeout),
        "queuedTimeoutInMinutes": int(queued),
        "buildComplete": False,
        "initiator": initiator,
        "encryptionKey": request.get("encryptionKeyOverride") or project.get("encryptionKey"),
    }
    if source_version:
        doc["sourceVersion"] = source_version
    if project.get("vpcConfig"):
        doc["vpcConfig"] = copy.deepcopy(project["vpcConfig"])
    build = runner.Build(
        id=build_id,
        doc=doc,
        account_id=account_id,
        region=region,
        project=project,
        sources=sources,
        outputs=outputs,
        variables=overrides,
        buildspec_override=request.get("buildspecOverride"),
        timeout_seconds=int(timeout) * 60,
        endpoint=_endpoint(),
        root=_builds_root() / uuid_,
    )
    build.request = {  # what RetryBuild starts again
        "request": copy.deepcopy(request),
        "pipeline_sources": pipeline_sources,
        "pipeline_outputs": pipeline_outputs,
        "project_name": name,
    }
    with locked_in(codebuild_stores, account_id, region) as store:
        store.builds[build_id] = build
        store.build_order.append(build_id)
    return build


def _launch(build: runner.Build) -> None:
    from .builds import launch
    from .builds.services import EmulatorServices

    launch(build, EmulatorServices(build.account_id, build.region))


def _build(store: CodeBuildStore, build_id: str) -> runner.Build | None:
    found = store.builds.get(build_id)
    if found is None and build_id.startswith("arn:"):
        found = store.builds.get(build_id.split(":build/", 1)[-1])
    return found


def _initiator(context: RequestContext) -> str:
    # CodeBuild names the caller; the emulator's callers are the account's root.
    return "root"


class _BuildOperations:
    def start_build(self, context: RequestContext, request: dict) -> dict:
        build = _new_build(
            context.account_id,
            context.region,
            request.get("projectName") or "",
            request,
            initiator=_initiator(context),
        )
        _launch(build)
        return {"build": build.snapshot()}

    def retry_build(self, context: RequestContext, request: dict) -> dict:
        with locked(codebuild_stores, context) as store:
            old = _build(store, request.get("id") or "")
        if old is None:
            raise aws_error("ResourceNotFoundException", f"Build {request.get('id')} not found")
        saved = old.request
        build = _new_build(
            context.account_id,
            context.region,
            saved["project_name"],
            saved["request"],
            initiator=_initiator(context),
            pipeline_sources=saved["pipeline_sources"],
            pipeline_outputs=saved["pipeline_outputs"],
        )
        _launch(build)
        return {"build": build.snapshot()}

    def batch_get_builds(self, context: RequestContext, request: dict) -> dict:
        ids = request.get("ids") or []
        if not ids or len(ids) > 100:
            raise _invalid("Invalid input: between 1 and 100 build ids are required")
        with locked(codebuild_stores, context) as store:
            found = [(i, _build(store, i)) for i in ids]
        return {
            "builds": [b.snapshot() for _, b in found if b is not None],
            "buildsNotFound": [i for i, b in found if b is None],
        }

    def stop_build(self, context: RequestContext, request: dict) -> dict:
        with locked(codebuild_stores, context) as store:
            build = _build(store, request.get("id") or "")
        if build is None:
            raise aws_error("ResourceNotFoundException", f"Build {request.get('id')} not found")
        build.stop()
        build.done.wait(5)  # the process group is killed at once; the record ends just after
        return {"build": build.snapshot()}

    def list_builds(self, context: RequestContext, request: dict) -> dict:
        with locked(codebuild_stores, context) as store:
            ids = list(store.build_order)
        return _page_of_ids(ids, request)

    def list_builds_for_project(self, context: RequestContext, request: dict) -> dict:
        name = request.get("projectName") or ""
        with locked(codebuild_stores, context) as store:
            model = _find(store.backend, name)
            if model is None:
                raise aws_error(
                    "ResourceNotFoundException", f"The provided project name {name} does not exist"
                )
            name = model.project_metadata["name"]
            ids = [i for i in store.build_order if i.split(":", 1)[0] == name]
        return _page_of_ids(ids, request)


def _page_of_ids(ids: list[str], request: dict) -> dict:
    order = request.get("sortOrder") or "DESCENDING"
    if order not in ("ASCENDING", "DESCENDING"):
        raise _invalid(f"Invalid input: sortOrder {order}")
    if order == "DESCENDING":
        ids = ids[::-1]
    page, token = paginate(ids, request.get("nextToken"), None, 100)
    if page is None:
        raise _invalid("Invalid input: nextToken is not valid")
    return {"ids": page, **({"nextToken": token} if token else {})}


def shutdown_builds() -> None:
    """The emulator is stopping: every running build's process group is killed."""
    runner.shutdown()


# The hooks CodePipeline's CodeBuild action calls (``executor.actions``): a build of the project
# with the pipeline's input artifacts as its sources and its output artifacts as where to upload
# (action-reference-CodeBuild), the action's EnvironmentVariables winning over the project's
# (the StartBuild ``environmentVariablesOverride`` precedence).


def start_pipeline_build(
    account_id: str,
    region: str,
    project_name: str,
    *,
    primary_source: dict | None,
    secondary_sources: list[dict],
    output_artifacts: list[dict],
    environment_variables: list[dict],
    initiator: str,
) -> str:
    """Starts a build of ``project_name`` for a pipeline action; returns the build id."""
    try:
        build = _new_build(
            account_id,
            region,
            project_name,
            {"environmentVariablesOverride": environment_variables},
            initiator=initiator,
            pipeline_sources=[primary_source, *secondary_sources],
            pipeline_outputs=output_artifacts,
        )
    except Exception as e:
        raise LookupError(getattr(e, "message", None) or str(e)) from None
    _launch(build)
    return build.id


def pipeline_build_result(account_id: str, region: str, build_id: str) -> dict:
    """The build as BatchGetBuilds shows it."""
    with locked_in(codebuild_stores, account_id, region) as store:
        build = _build(store, build_id)
    if build is None:
        raise LookupError(f"Build {build_id} does not exist")
    return build.snapshot()


def stop_pipeline_build(account_id: str, region: str, build_id: str) -> None:
    """StopBuild for a pipeline action that was abandoned (a stopped execution)."""
    with locked_in(codebuild_stores, account_id, region) as store:
        build = _build(store, build_id)
    if build is not None:
        build.stop()


# ------------------------------------------------------------------------------------------------
# Report groups and reports (API reference: API_CreateReportGroup, API_BatchGetReportGroups,
# API_UpdateReportGroup, API_DeleteReportGroup, API_ListReportGroups, API_ListReportsForReportGroup,
# API_ListReports, API_BatchGetReports, API_DescribeTestCases, API_DescribeCodeCoverages). A
# buildspec's report named by a bare name goes to the report group ``<project>-<name>``, created
# on first use with the report's type (user guide, "Create a report group").

_REPORT_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,127}$")
_EXPORT_TYPES = ("S3", "NO_EXPORT")


def _report_group_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:codebuild:{region}:{account_id}:report-group/{name}"


# The service model's ``ReportPackagingType``, ``TagList`` (0 to 50), ``KeyInput`` (1 to 127
# characters) and ``ValueInput`` (0 to 255) with their pattern.
_PACKAGING = ("ZIP", "NONE")
_TAG_TEXT = re.compile(r"^[\w\s.:/=@+\-]*$")


def _check_export(export: Any) -> dict:
    if not isinstance(export, dict) or export.get("exportConfigType") not in _EXPORT_TYPES:
        raise _invalid("Invalid input: exportConfig.exportConfigType must be S3 or NO_EXPORT")
    destination = export.get("s3Destination") or {}
    if export["exportConfigType"] == "S3" and not destination.get("bucket"):
        raise _invalid("Invalid input: exportConfig.s3Destination.bucket is required for S3")
    packaging = destination.get("packaging")
    if packaging is not None and packaging not in _PACKAGING:
        raise _invalid(
            f"1 validation error detected: Value '{packaging}' at "
            "'exportConfig.s3Destination.packaging' failed to satisfy constraint: Member must "
            "satisfy enum value set: [ZIP, NONE]"
        )
    return copy.deepcopy(export)


def _check_tags(tags: Any) -> None:
    """A report group's tags as ``CreateReportGroup`` and ``UpdateReportGroup`` take them."""
    tags = tags or []
    if len(tags) > 50:
        raise _invalid(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member "
            "must have length less than or equal to 50"
        )
    for tag in tags:
        key, value = tag.get("key") or "", tag.get("value") or ""
        if not 1 <= len(key) <= 127 or not _TAG_TEXT.match(key):
            raise _invalid(f"Invalid tag key: {key}")
        if len(value) > 255 or not _TAG_TEXT.match(value):
            raise _invalid(f"Invalid tag value for key {key}: {value}")
        reject_system_tags((key,), "InvalidInputException")


def _report_group(store: CodeBuildStore, arn: str) -> dict:
    group = store.report_groups.get(arn)
    if group is None:
        raise aws_error("ResourceNotFoundException", f"Report group {arn} does not exist")
    return group


def _new_report_group(store: CodeBuildStore, name: str, kind: str, export: dict, tags) -> dict:
    created = now()
    group = {
        "arn": _report_group_arn(store.region, store.account_id, name),
        "name": name,
        "type": kind,
        "exportConfig": export,
        "created": created,
        "lastModified": created,
        "tags": copy.deepcopy(tags or []),
        "status": "ACTIVE",
    }
    store.report_groups[group["arn"]] = group
    return group


def save_reports(account_id: str, region: str, build: runner.Build, found: list[dict]) -> list[str]:
    """Stores a build's parsed reports in their report groups; returns the report ARNs."""
    from .builds import reports as parsing

    arns = []
    project = build.id.split(":", 1)[0]
    with locked_in(codebuild_stores, account_id, region) as store:
        for item in found:
            spec, parsed = item["spec"], item["parsed"]
            if spec.name.startswith("arn:"):
                group_arn, group_name = spec.name, spec.name.rsplit("/", 1)[-1]
            else:
                group_name = f"{project}-{spec.name}"
                group_arn = _report_group_arn(region, account_id, group_name)
            group = store.report_groups.get(group_arn)
            if group is None:
                group = _new_report_group(
                    store, group_name, spec.kind, {"exportConfigType": "NO_EXPORT"}, []
                )
            if group["type"] != spec.kind:
                continue  # a coverage report cannot go to a test report group, nor the reverse
            arn = f"arn:aws:codebuild:{region}:{account_id}:report/{group_name}:{build.uuid}"
            report = {
                "arn": arn,
                "type": spec.kind,
                "name": f"{group_name}:{build.uuid}",
                "reportGroupArn": group_arn,
                "executionId": build.doc["arn"],
                "created": now(),
                "exportConfig": copy.deepcopy(group["exportConfig"]),
                "truncated": False,
            }
            if spec.kind == "TEST":
                cases = [{"reportArn": arn, **c} for c in parsed["testCases"]]
                summary = parsing.test_summary(cases)
                report["testSummary"] = summary
                bad = summary["statusCounts"].get("FAILED", 0) + summary["statusCounts"].get(
                    "ERROR", 0
                )
                report["status"] = "FAILED" if bad else "SUCCEEDED"
                store.test_cases[arn] = cases
            else:
                coverages = [
                    {"id": str(uuid.uuid4()), "reportARN": arn, **c}
                    for c in parsed["codeCoverages"]
                ]
                report["codeCoverageSummary"] = parsing.coverage_summary(coverages)
                report["status"] = "SUCCEEDED"
                store.code_coverages[arn] = coverages
            store.reports[arn] = report
            arns.append(arn)
    return arns


def _paged(items: list, request: dict, key: str, limit: int = 100) -> dict:
    size = request.get("maxResults")
    if size is not None and not 1 <= int(size) <= limit:
        raise _invalid(f"Invalid input: maxResults must be between 1 and {limit}")
    page, token = paginate(items, request.get("nextToken"), size, limit)
    if page is None:
        raise _invalid("Invalid input: nextToken is not valid")
    return {key: page, **({"nextToken": token} if token else {})}


class _ReportOperations:
    def create_report_group(self, context: RequestContext, request: dict) -> dict:
        name = request.get("name") or ""
        if not _REPORT_GROUP_NAME.match(name):
            raise _invalid(f"Invalid report group name: {name}")
        kind = request.get("type")
        if kind not in ("TEST", "CODE_COVERAGE"):
            raise _invalid("Invalid input: type must be TEST or CODE_COVERAGE")
        export = _check_export(request.get("exportConfig"))
        _check_tags(request.get("tags"))
        with locked(codebuild_stores, context) as store:
            arn = _report_group_arn(context.region, context.account_id, name)
            if arn in store.report_groups:
                raise aws_error(
                    "ResourceAlreadyExistsException", f"Report group {arn} already exists"
                )
            group = _new_report_group(store, name, kind, export, request.get("tags"))
            return {"reportGroup": copy.deepcopy(group)}

    def batch_get_report_groups(self, context: RequestContext, request: dict) -> dict:
        arns = request.get("reportGroupArns") or []
        if not arns or len(arns) > 100:
            raise _invalid("Invalid input: between 1 and 100 report group ARNs are required")
        with locked(codebuild_stores, context) as store:
            found = [
                copy.deepcopy(store.report_groups[a]) for a in arns if a in store.report_groups
            ]
            missing = [a for a in arns if a not in store.report_groups]
        return {"reportGroups": found, "reportGroupsNotFound": missing}

    def update_report_group(self, context: RequestContext, request: dict) -> dict:
        export = request.get("exportConfig")
        if export is not None:
            export = _check_export(export)
        _check_tags(request.get("tags"))
        with locked(codebuild_stores, context) as store:
            group = _report_group(store, request.get("arn") or "")
            if export is not None:
                group["exportConfig"] = export
            if request.get("tags") is not None:
                group["tags"] = copy.deepcopy(request["tags"])
            group["lastModified"] = now()
            return {"reportGroup": copy.deepcopy(group)}

    def delete_report_group(self, context: RequestContext, request: dict) -> dict:
        arn = request.get("arn") or ""
        with locked(codebuild_stores, context) as store:
            if arn not in store.report_groups:
                # AWS answers InvalidInputException (DeleteReportGroup has no not-found error).
                raise _invalid(f"Report group {arn} does not exist")
            owned = [r for r, rep in store.reports.items() if rep["reportGroupArn"] == arn]
            if owned and not request.get("deleteReports"):
                raise _invalid(
                    f"Report group {arn} has reports: delete them first or set deleteReports"
                )
            for report in owned:
                store.reports.pop(report, None)
                store.test_cases.pop(report, None)
                store.code_coverages.pop(report, None)
            store.report_groups.pop(arn, None)
        return {}

    def list_report_groups(self, context: RequestContext, request: dict) -> dict:
        sort_by = request.get("sortBy") or "CREATED_TIME"
        order = request.get("sortOrder") or "DESCENDING"
        key = {"NAME": "name", "CREATED_TIME": "created", "LAST_MODIFIED_TIME": "lastModified"}
        if sort_by not in key or order not in ("ASCENDING", "DESCENDING"):
            raise _invalid(f"Invalid input: sortBy {sort_by} / sortOrder {order}")
        with locked(codebuild_stores, context) as store:
            groups = sorted(
                store.report_groups.values(),
                key=lambda g: g[key[sort_by]],
                reverse=order == "DESCENDING",
            )
            arns = [g["arn"] for g in groups]
        return _paged(arns, request, "reportGroups")

    def _list_reports(self, context, request: dict, group_arn: str | None) -> dict:
        order = request.get("sortOrder") or "DESCENDING"
        if order not in ("ASCENDING", "DESCENDING"):
            raise _invalid(f"Invalid input: sortOrder {order}")
        wanted = (request.get("filter") or {}).get("status")
        with locked(codebuild_stores, context) as store:
            if group_arn is not None:
                _report_group(store, group_arn)
            reports = [
                r
                for r in store.reports.values()
                if (group_arn is None or r["reportGroupArn"] == group_arn)
                and (not wanted or r["status"] == wanted)
            ]
            reports.sort(key=lambda r: r["created"], reverse=order == "DESCENDING")
            arns = [r["arn"] for r in reports]
        return _paged(arns, request, "reports")

    def list_reports_for_report_group(self, context: RequestContext, request: dict) -> dict:
        return self._list_reports(context, request, request.get("reportGroupArn") or "")

    def list_reports(self, context: RequestContext, request: dict) -> dict:
        return self._list_reports(context, request, None)

    def batch_get_reports(self, context: RequestContext, request: dict) -> dict:
        arns = request.get("reportArns") or []
        if not arns or len(arns) > 100:
            raise _invalid("Invalid input: between 1 and 100 report ARNs are required")
        with locked(codebuild_stores, context) as store:
            found = [copy.deepcopy(store.reports[a]) for a in arns if a in store.reports]
            missing = [a for a in arns if a not in store.reports]
        return {"reports": found, "reportsNotFound": missing}

    def describe_test_cases(self, context: RequestContext, request: dict) -> dict:
        arn = request.get("reportArn") or ""
        wanted = request.get("filter") or {}
        with locked(codebuild_stores, context) as store:
            if arn not in store.reports:
                raise aws_error("ResourceNotFoundException", f"Report {arn} does not exist")
            cases = copy.deepcopy(store.test_cases.get(arn) or [])
        if wanted.get("status"):
            cases = [c for c in cases if c["status"] == wanted["status"]]
        if wanted.get("keyword"):
            cases = [c for c in cases if wanted["keyword"] in c["name"]]
        return _paged(cases, request, "testCases", 1000)

    def describe_code_coverages(self, context: RequestContext, request: dict) -> dict:
        arn = request.get("reportArn") or ""
        with locked(codebuild_stores, context) as store:
            coverages = copy.deepcopy(store.code_coverages.get(arn) or [])
        low = request.get("minLineCoveragePercentage")
        high = request.get("maxLineCoveragePercentage")
        if low is not None:
            coverages = [c for c in coverages if c["lineCoveragePercentage"] >= low]
        if high is not None:
            coverages = [c for c in coverages if c["lineCoveragePercentage"] <= high]
        sort_by = request.get("sortBy") or "FILE_PATH"
        if sort_by not in ("FILE_PATH", "LINE_COVERAGE_PERCENTAGE"):
            raise _invalid(f"Invalid input: sortBy {sort_by}")
        field_name = "filePath" if sort_by == "FILE_PATH" else "lineCoveragePercentage"
        coverages.sort(
            key=lambda c: c[field_name], reverse=(request.get("sortOrder") == "DESCENDING")
        )
        return _paged(coverages, request, "codeCoverages", 1000)


class CodeBuildProvider(Provider, _ProjectOperations, _BuildOperations, _ReportOperations):
    """The CodeBuild API: projects, builds and report groups."""

    service = "codebuild"
