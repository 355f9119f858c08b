"""One runner per action kind, behind ``runner.ActionKind`` (start, poll, cancel).

Each follows its page of the CodePipeline action structure reference
(https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference.html):

- CodeCommit source (``action-reference-CodeCommit``): the branch's commit (or the
  ``sourceRevisions`` COMMIT_ID override) as a ZIP of its tree (``CODE_ZIP``), written to the
  output artifact's place in the artifact store; output variables ``CommitId``, ``BranchName``,
  ``RepositoryName``, ``AuthorDate``, ``CommitterDate``, ``CommitMessage``. The repository's git
  data is read through ``gitstore``.
- S3 source (``action-reference-S3``): the object ``S3ObjectKey`` of the versioned bucket
  ``S3Bucket`` (an unversioned source bucket fails the action, as AWS requires versioning), at
  its latest version or the S3_OBJECT_VERSION_ID override; output variables ``VersionId``,
  ``ETag``.
- Manual approval (``approvals-action-add``): waits; PutApprovalResult ends it (``execution``).
- CodeBuild (``action-reference-CodeBuild``): starts a build of ``ProjectName`` through the
  emulator's CodeBuild, with the input artifacts as the primary source (``PrimarySource`` or the
  first) and secondary sources, the output artifacts as where to upload, and
  ``EnvironmentVariables`` (JSON) as overrides; the build's id is the external execution id,
  its exported variables the action's output variables.
- CodeDeploy (``action-reference-CodeDeploy``): creates a deployment of ``ApplicationName`` /
  ``DeploymentGroupName`` through the emulator's CodeDeploy with the input artifact as an S3 ZIP
  revision; the deployment id is the external execution id, and cancelling the action stops the
  deployment (StopDeployment).
- ECS blue/green (``action-reference-ECSbluegreen``, ``CodeDeployToECS``): reads the task
  definition template (``TaskDefinitionTemplateArtifact`` / ``TaskDefinitionTemplatePath``,
  default ``taskdef.json``) and the AppSpec (``AppSpecTemplateArtifact`` /
  ``AppSpecTemplatePath``, default ``appspec.yaml``) from the input artifacts, fills each
  ``ImageNContainerName`` placeholder with the ``ImageURI`` of ``imageDetail.json`` in
  ``ImageNArtifactName``, checks all of it with the action's documented errors
  (``deployments.specs``), checks the application and group, and then fails at its next step,
  ``ecs:RegisterTaskDefinition``, which needs Amazon ECS (not served by LocalStack's community
  edition): the message names that step (``ECS_UPDATE_ERROR``), never a fake success.

Other providers fail at once and say they are not emulated, rather than pretend to succeed.
"""

from __future__ import annotations

import json
from typing import Any

from .execution import FAILED, SUCCEEDED, Job, Outcome


def _s3(job: Job) -> Any:
    from localstack.aws.connect import connect_to

    # LocalStack takes a 12-digit access key as the account id.
    return connect_to(
        region_name=job.region, aws_access_key_id=job.account_id, aws_secret_access_key="test"
    ).s3


def _write_outputs(job: Job, body: bytes) -> None:
    s3 = _s3(job)
    for artifact in job.output_artifacts:
        location = artifact["s3location"]
        s3.put_object(Bucket=location["bucket"], Key=location["key"], Body=body)


def _failed(message: str, code: str = "JobFailed") -> Outcome:
    return Outcome(status=FAILED, error_details={"code": code, "message": message})


class CodeCommitSource:
    """The branch's tree as a ZIP, from the emulator's git server."""

    def start(self, job: Job) -> Outcome | None:
        try:
            from .. import gitstore
        except ImportError:
            return _failed("The CodeCommit source needs the emulator's git server")
        config = job.configuration
        override = job.source_override or {}
        revision = gitstore.source_revision(
            job.account_id,
            job.region,
            config.get("RepositoryName"),
            config.get("BranchName"),
            commit_id=override.get("revisionValue"),
        )
        if config.get("OutputArtifactFormat", "CODE_ZIP") != "CODE_ZIP":
            # CODEBUILD_CLONE_REF hands CodeBuild a reference to clone; only CODE_ZIP is served.
            return _failed("OutputArtifactFormat CODEBUILD_CLONE_REF is not emulated")
        _write_outputs(job, revision.zip_bytes())
        from ..common import as_datetime

        stamp = str(revision.author_date)  # ISO 8601, as the AuthorDate variable is
        return Outcome(
            status=SUCCEEDED,
            external_execution_id=revision.commit_id,
            external_execution_summary=revision.commit_message,
            output_variables={
                "CommitId": revision.commit_id,
                "BranchName": revision.branch,
                "RepositoryName": config.get("RepositoryName"),
                "AuthorDate": stamp,
                "CommitterDate": stamp,
                "CommitMessage": revision.commit_message,
            },
            revision={
                "revisionId": revision.commit_id,
                "revisionSummary": revision.commit_message,
                "created": as_datetime(stamp),
            },
        )

    def poll(self, job: Job) -> Outcome | None:
        return None

    def cancel(self, job: Job) -> None:
        pass


class S3Source:
    """The object's version, copied into the artifact store."""

    def start(self, job: Job) -> Outcome | None:
        config = job.configuration
        bucket, key = config.get("S3Bucket"), config.get("S3ObjectKey")
        s3 = _s3(job)
        versioning = s3.get_bucket_versioning(Bucket=bucket)
        if versioning.get("Status") != "Enabled":
            return _failed(f"The source bucket {bucket} is not versioned")
        override = job.source_override or {}
        arguments = {"Bucket": bucket, "Key": key}
        if override.get("revisionType") == "S3_OBJECT_VERSION_ID":
            arguments["VersionId"] = override["revisionValue"]
        elif override.get("revisionType") == "S3_OBJECT_KEY":
            arguments["Key"] = override["revisionValue"]
        try:
            found = s3.get_object(**arguments)
        except s3.exceptions.NoSuchKey:
            return _failed(f"The object {arguments['Key']} does not exist in bucket {bucket}")
        body = found["Body"].read()
        _write_outputs(job, body)
        version = found.get("VersionId") or "null"
        etag = (found.get("ETag") or "").strip('"')
        return Outcome(
            status=SUCCEEDED,
            external_execution_id=version,
            output_variables={"VersionId": version, "ETag": etag},
            revision={
                "revisionId": version,
                "revisionSummary": f"Amazon S3 version id: {version}",
                "created": found.get("LastModified"),
            },
        )

    def poll(self, job: Job) -> Outcome | None:
        return None

    def cancel(self, job: Job) -> None:
        pass


class ManualApproval:
    """Waits: only PutApprovalResult (or the 7-day timeout) ends it, through ``execution``."""

    polls = False  # nothing to ask while it waits

    def start(self, job: Job) -> Outcome | None:
        return None

    def poll(self, job: Job) -> Outcome | None:
        return None

    def cancel(self, job: Job) -> None:
        pass


def _environment_variables(job: Job) -> list[dict]:
    raw = job.configuration.get("EnvironmentVariables")
    if not raw:
        return []
    try:
        variables = json.loads(raw)
    except ValueError as e:
        raise ValueError(f"EnvironmentVariables is not valid JSON: {e}") from e
    if not isinstance(variables, list):
        raise ValueError("EnvironmentVariables must be a JSON list of {name, value, type}")
    return [
        {"name": v["name"], "value": str(v.get("value", "")), "type": v.get("type", "PLAINTEXT")}
        for v in variables
    ]


class CodeBuildAction:
    """A build of the project through the emulator's CodeBuild, polled until it ends."""

    def start(self, job: Job) -> Outcome | None:
        from .. import codebuild

        inputs = job.input_artifacts
        primary_name = job.configuration.get("PrimarySource") or (
            inputs[0]["name"] if inputs else None
        )
        primary = next((a for a in inputs if a["name"] == primary_name), None)
        secondary = [a for a in inputs if a is not primary]
        job.external_id = codebuild.start_pipeline_build(
            job.account_id,
            job.region,
            job.configuration.get("ProjectName") or "",
            primary_source=primary,
            secondary_sources=secondary,
            output_artifacts=job.output_artifacts,
            environment_variables=_environment_variables(job),
            initiator=f"codepipeline/{job.pipeline_name}",
        )
        return self.poll(job)

    def poll(self, job: Job) -> Outcome | None:
        from .. import codebuild

        build_id = job.external_id
        build = codebuild.pipeline_build_result(job.account_id, job.region, build_id)
        status = build.get("buildStatus")
        if status == "IN_PROGRESS":
            return None
        variables = {
            v["name"]: v.get("value", "") for v in build.get("exportedEnvironmentVariables") or []
        }
        url = (
            f"https://{job.region}.console.aws.amazon.com/codesuite/codebuild/projects/"
            f"{build_id.split(':', 1)[0]}/build/{build_id}"
        )
        if status == "SUCCEEDED":
            return Outcome(
                status=SUCCEEDED,
                external_execution_id=build_id,
                external_execution_url=url,
                output_variables=variables,
            )
        outcome = _failed(f"Build terminated with state: {status}")
        outcome.external_execution_id = build_id
        outcome.external_execution_url = url
        outcome.output_variables = variables
        return outcome

    def cancel(self, job: Job) -> None:
        # An abandoned action (a stopped execution) stops its build, as StopBuild would.
        from .. import codebuild

        if job.external_id:
            codebuild.stop_pipeline_build(job.account_id, job.region, job.external_id)


class CodeDeployAction:
    """A deployment of the input artifact through the emulator's CodeDeploy."""

    def start(self, job: Job) -> Outcome | None:
        from .. import codedeploy

        config = job.configuration
        if not job.input_artifacts:
            return _failed("A CodeDeploy action needs one input artifact")
        wanted = job.input_artifacts[0]["name"]
        artifact = next((a for a in job.input_artifacts if a["name"] == wanted), None)
        if artifact is None:
            return _failed(f"Input artifact {wanted} is not an input of this action")
        from localstack.aws.api import ServiceException

        try:
            job.external_id = codedeploy.create_pipeline_deployment(
                job.account_id,
                job.region,
                config.get("ApplicationName") or "",
                config.get("DeploymentGroupName") or "",
                artifact["s3location"]["bucket"],
                artifact["s3location"]["key"],
            )
        except ServiceException as e:
            # CreateDeployment refused (no such group, an active deployment): the action fails
            # with CodeDeploy's message, as on AWS.
            return _failed(getattr(e, "message", None) or str(e))
        return self.poll(job)

    def poll(self, job: Job) -> Outcome | None:
        from .. import codedeploy

        deployment_id = job.external_id
        status, error = codedeploy.pipeline_deployment_status(
            job.account_id, job.region, deployment_id
        )
        if status in ("Succeeded",):
            return Outcome(status=SUCCEEDED, external_execution_id=deployment_id)
        if status in ("Failed", "Stopped"):
            outcome = _failed(
                (error or {}).get("message") or f"Deployment {deployment_id} ended {status}"
            )
            outcome.external_execution_id = deployment_id
            return outcome
        return None

    def cancel(self, job: Job) -> None:
        # A stopped or superseded execution abandons its deployment: StopDeployment.
        from .. import codedeploy

        if job.external_id:
            codedeploy.stop_pipeline_deployment(job.account_id, job.region, job.external_id)


def _artifact_files(job: Job, artifact: dict) -> dict[str, bytes]:
    """The files of an input artifact (a ZIP in the artifact store), by path."""
    import io
    import zipfile

    location = artifact["s3location"]
    body = _s3(job).get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read()
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
            }
    except zipfile.BadZipFile:
        return {}


class CodeDeployToEcsAction:
    """The ECS blue/green action: everything checked, then the ECS step it cannot take."""

    def start(self, job: Job) -> Outcome | None:
        from .. import codedeploy
        from ..deployments import ecs, specs

        config = job.configuration
        inputs = {a["name"]: a for a in job.input_artifacts}
        files: dict[str, dict[str, bytes]] = {}

        def read(artifact_name: str, path: str) -> str | None:
            artifact = inputs.get(artifact_name)
            if artifact is None:
                return None
            if artifact_name not in files:
                files[artifact_name] = _artifact_files(job, artifact)
            data = files[artifact_name].get(path.lstrip("/"))
            return None if data is None else data.decode("utf-8", errors="replace")

        taskdef_artifact = config.get("TaskDefinitionTemplateArtifact") or ""
        appspec_artifact = config.get("AppSpecTemplateArtifact") or ""
        for wanted in (taskdef_artifact, appspec_artifact):
            if wanted not in inputs:
                shown = wanted or "(none)"
                return _failed(f"Input artifact {shown} is not an input of this action")
        images: dict[str, str] = {}
        try:
            for n in range(1, 5):
                artifact_name = config.get(f"Image{n}ArtifactName")
                if not artifact_name:
                    continue
                if artifact_name not in inputs:
                    return _failed(f"Input artifact {artifact_name} is not an input of this action")
                placeholder = config.get(f"Image{n}ContainerName") or f"IMAGE{n}_NAME"
                images[placeholder] = specs.image_uri(
                    read(artifact_name, "imageDetail.json"), artifact_name
                )
            taskdef_path = config.get("TaskDefinitionTemplatePath") or "taskdef.json"
            task_definition = specs.fill_task_definition(
                read(taskdef_artifact, taskdef_path), taskdef_artifact, images
            )
            appspec_path = config.get("AppSpecTemplatePath") or "appspec.yaml"
            appspec_text = read(appspec_artifact, appspec_path)
            if appspec_text is None:
                raise specs.SpecError(
                    "Exception while trying to read the AppSpec artifact file from: "
                    f"{appspec_artifact}. The file {appspec_path} is not in the artifact."
                )
            specs.parse_ecs(appspec_text)
        except specs.SpecError as e:
            return _failed(str(e))
        from localstack.aws.api import ServiceException

        try:
            codedeploy.check_pipeline_group(
                job.account_id,
                job.region,
                config.get("ApplicationName") or "",
                config.get("DeploymentGroupName") or "",
                "ECS",
            )
        except ServiceException as e:
            return _failed(getattr(e, "message", None) or str(e))
        family = task_definition.get("family") or "(no family)"
        step = f"registering the task definition {family} (ecs:RegisterTaskDefinition)"
        return _failed(ecs.step_message(step) + " (Error code: ECS_UPDATE_ERROR)")

    def poll(self, job: Job) -> Outcome | None:
        return None

    def cancel(self, job: Job) -> None:
        pass


class NotEmulated:
    """Any other provider: fails, saying so."""

    def start(self, job: Job) -> Outcome | None:
        kind = job.action_type_id
        return _failed(
            f"Action provider {kind.get('owner')}/{kind.get('provider')} "
            f"({kind.get('category')}) is not emulated by the pipewright LocalStack extension"
        )

    def poll(self, job: Job) -> Outcome | None:
        return None

    def cancel(self, job: Job) -> None:
        pass


_KINDS = {
    ("Source", "CodeCommit"): CodeCommitSource,
    ("Source", "S3"): S3Source,
    ("Approval", "Manual"): ManualApproval,
    ("Build", "CodeBuild"): CodeBuildAction,
    ("Test", "CodeBuild"): CodeBuildAction,
    ("Deploy", "CodeDeploy"): CodeDeployAction,
    ("Deploy", "CodeDeployToECS"): CodeDeployToEcsAction,
}


def kind_for(job: Job):
    """The runner for a job's action type (``runner.ActionKind``)."""
    kind = job.action_type_id
    if kind.get("owner") != "AWS":
        return NotEmulated()
    return _KINDS.get((kind.get("category"), kind.get("provider")), NotEmulated)()
