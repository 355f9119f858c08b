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
import re
from typing import Any

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, LocalAttribute
from moto.codebuild.models import CodeBuild, CodeBuildBackend, codebuild_backends

from .common import aws_error, now, paginate
from .dispatch import Provider
from .state import Store, locked, locked_in, reject_system_tags, tag_list_to_dict


class CodeBuildStore(Store):
    """CodeBuild state the extension adds: each project's whole document, by project name."""

    moto_backends = codebuild_backends
    projects: dict[str, dict] = LocalAttribute(default=dict)


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


class CodeBuildProvider(Provider):
    service = "codebuild"

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
    for arn, kind, tags in found:
        yield arn, kind, tag_list_to_dict(tags)


# The hook CodePipeline's CodeBuild action calls (``executor.actions``). The builds are moto's
# stubs until builds really run: this records what the pipeline hands the build, the way
# StartBuild's overrides would (API_StartBuild: ``sourceTypeOverride`` CODEPIPELINE,
# ``secondarySourcesOverride``, ``secondaryArtifactsOverride``, ``environmentVariablesOverride``
# winning over the project's variables), so a real build runner finds it there.


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

    def s3(artifact: dict) -> str:
        return f"{artifact['s3location']['bucket']}/{artifact['s3location']['key']}"

    with locked_in(codebuild_stores, account_id, region) as store:
        backend = store.backend
        model = _find(backend, project_name)
        if model is None:
            raise LookupError(f"Project cannot be found: {project_name}")
        name = model.project_metadata["name"]
        build = backend.start_build(name)
        build["initiator"] = initiator
        if primary_source is not None:
            build["source"] = {"type": "CODEPIPELINE", "location": s3(primary_source)}
            build["sourceVersion"] = s3(primary_source)
        build["secondarySources"] = [
            {"type": "S3", "location": s3(a), "sourceIdentifier": a["name"]}
            for a in secondary_sources
        ]
        build["secondaryArtifacts"] = [
            {"location": s3(a), "artifactIdentifier": a["name"]} for a in output_artifacts
        ]
        project = store.projects.get(name) or {}
        declared = (project.get("environment") or {}).get("environmentVariables") or []
        merged = {v["name"]: dict(v) for v in declared}
        merged.update({v["name"]: dict(v) for v in environment_variables})
        build.setdefault("environment", {})["environmentVariables"] = list(merged.values())
        return build["id"]


def pipeline_build_result(account_id: str, region: str, build_id: str) -> dict:
    """The build as BatchGetBuilds shows it (moto's stub completes it when read)."""
    with locked_in(codebuild_stores, account_id, region) as store:
        builds = store.backend.batch_get_builds([build_id])
        if not builds:
            raise LookupError(f"Build {build_id} does not exist")
        return copy.deepcopy(builds[0])
