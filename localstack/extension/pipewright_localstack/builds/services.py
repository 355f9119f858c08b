"""What a running build reaches in the emulator: S3, SSM, Secrets Manager, CloudWatch Logs, git.

Each call goes through LocalStack's own clients (``connect_to``, as the executor's actions do),
with the build's account as the access key, so it lands in the same account and region as the
build. None of these is called with a store's lock held.

Error texts follow CodeBuild's phase contexts for variables it cannot resolve
(build-spec-ref, ``env/parameter-store`` and ``env/secrets-manager``): the build fails in
``DOWNLOAD_SOURCE``, where the buildspec is read.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .runner import Build, VariableError


def _clients(account_id: str, region: str) -> Any:
    from localstack.aws.connect import connect_to

    return connect_to(
        region_name=region, aws_access_key_id=account_id, aws_secret_access_key="test"
    )


class EmulatorServices:
    """``runner.Services`` over the emulator's own services, for one account and region."""

    def __init__(self, account_id: str, region: str):
        self.account_id = account_id
        self.region = region
        self._clients = _clients(account_id, region)
        self._streams: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def get_object(self, bucket: str, key: str) -> bytes:
        s3 = self._clients.s3
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            raise LookupError(f"no such key: s3://{bucket}/{key}") from None
        except s3.exceptions.NoSuchBucket:
            raise LookupError(f"no such bucket: {bucket}") from None

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self._clients.s3.put_object(Bucket=bucket, Key=key, Body=body)

    def kms_key_exists(self, key: str) -> bool:
        from ..kms_keys import KeyNotFound, key_id_in_emulator

        try:
            key_id_in_emulator(key, self.account_id, self.region)
        except KeyNotFound:
            return False
        return True

    def codecommit_zip(self, location: str, version: str | None) -> tuple[bytes, str]:
        from .. import gitstore

        name = location.rstrip("/").rsplit("/", 1)[-1]
        if name.endswith(".git"):
            name = name[:-4]
        ref = (version or "").removeprefix("refs/heads/")
        is_commit = len(ref) == 40 and all(c in "0123456789abcdef" for c in ref.lower())
        try:
            revision = gitstore.source_revision(
                self.account_id,
                self.region,
                name,
                "" if is_commit else (ref or "main"),
                commit_id=ref if is_commit else None,
            )
        except Exception as e:
            raise LookupError(getattr(e, "message", None) or str(e)) from None
        return revision.zip_bytes(), revision.commit_id

    def parameter(self, name: str) -> str:
        ssm = self._clients.ssm
        try:
            return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            raise VariableError(
                "Decrypted Variables Error", f"parameter does not exist: {name}"
            ) from None

    def secret(self, reference: str) -> str:
        """``secret-id:json-key:version-stage:version-id``, the secret id possibly an ARN."""
        parts = reference.split(":")
        if reference.startswith("arn:"):
            secret_id, rest = ":".join(parts[:7]), parts[7:]
        else:
            secret_id, rest = parts[0], parts[1:]
        json_key, stage, version = (rest + ["", "", ""])[:3]
        arguments: dict[str, str] = {"SecretId": secret_id}
        if stage:
            arguments["VersionStage"] = stage
        if version:
            arguments["VersionId"] = version
        sm = self._clients.secretsmanager
        try:
            value = sm.get_secret_value(**arguments).get("SecretString") or ""
        except sm.exceptions.ResourceNotFoundException:
            raise VariableError(
                "Secrets Manager Error",
                "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
            ) from None
        if not json_key:
            return value
        try:
            found = json.loads(value)[json_key]
        except (ValueError, KeyError, TypeError):
            raise VariableError(
                "Secrets Manager Error", f"json key {json_key} not found in secret {secret_id}"
            ) from None
        return found if isinstance(found, str) else json.dumps(found)

    def put_log_events(self, group: str, stream: str, events: list[dict]) -> None:
        logs = self._clients.logs
        if (group, stream) not in self._streams:
            # CodeBuild creates its log group and stream when they are missing.
            for create, arguments in (
                (logs.create_log_group, {"logGroupName": group}),
                (logs.create_log_stream, {"logGroupName": group, "logStreamName": stream}),
            ):
                try:
                    create(**arguments)
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass
            with self._lock:
                self._streams.add((group, stream))
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)

    def save_reports(self, build: Build, reports: list[dict]) -> list[str]:
        from .. import codebuild

        return codebuild.save_reports(self.account_id, self.region, build, reports)
