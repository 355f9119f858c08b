"""Amazon ECR, served from moto's model (LocalStack 4.13.1's community edition has no ECR
provider: it answers every call "not included in your current license plan").

Repositories, their images, policies and tags stay in moto's backend; moto serves every
operation. What pipewright relies on and moto does not check is checked here first, as the
Amazon ECR API Reference states it:

- ``CreateRepository``: a name of 2 to 256 characters (``repositoryName``; moto checks only the
  pattern, which a single character matches); ``kmsKey`` only with the ``KMS`` encryption type
  ("If you use the KMS encryption type, specify the KMS key to use for encryption",
  ``EncryptionConfiguration``); tags as ``TagResource`` takes them.
- ``CreateRepository`` and ``TagResource``: at most 50 tags on a repository
  (``TooManyTagsException``), no key with the reserved ``aws:`` prefix and keys of 1 to 128,
  values of 0 to 256 characters (``InvalidTagParameterException``, the ``Tag`` shape).
- ``PutImageScanningConfiguration``: ``scanOnPush`` left out is false (``ScanOnPushFlag``,
  a boolean defaulting to false, which the AWS SDKs omit when false); moto keeps the old setting
  for a configuration without it.
- ``GetLifecyclePolicy``: ``lastEvaluatedAt`` as a timestamp (moto answers a string, which the
  JSON protocol's serializer would pass through as is).

The tagging API lists the repositories (``tagged_resources``).
"""

from __future__ import annotations

from localstack.aws.api import RequestContext
from localstack.services.moto import call_moto
from localstack.services.stores import AccountRegionBundle
from moto.core.exceptions import ServiceException as MotoServiceException
from moto.ecr.models import ecr_backends

from .common import as_datetime, aws_error
from .dispatch import Provider
from .state import (
    Store,
    check_tag_count,
    existing_backend,
    locked,
    locked_in,
    reject_system_tags,
)


class EcrStore(Store):
    """Nothing of the extension's own: the store carries the lock guarding moto's backend."""

    moto_backends = ecr_backends


ecr_stores = AccountRegionBundle("ecr", EcrStore, validate=False)


def _check_tags(tags: list[dict]) -> None:
    keys = [t.get("Key") or "" for t in tags]
    reject_system_tags(keys, "InvalidTagParameterException")
    for t in tags:
        key, value = t.get("Key") or "", t.get("Value") or ""
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise aws_error(
                "InvalidTagParameterException",
                "A tag key has 1 to 128 characters and a tag value at most 256",
            )
    check_tag_count([], keys, "TooManyTagsException", "A repository can have at most 50 tags")


def _repository_arn_parts(arn: str) -> tuple[str, str, str]:
    """(account, region, name) of ``arn:<p>:ecr:<region>:<account>:repository/<name>``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "ecr" or not parts[5].startswith("repository/"):
        raise aws_error(
            "InvalidParameterException",
            "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
        )
    return parts[4], parts[3], parts[5][len("repository/") :]


def _check_key_exists(context: RequestContext, key: str) -> None:
    """A key of this account and region that does not exist is refused (see ``kms_keys``)."""
    from .kms_keys import KeyNotFound, key_arn, key_id_in_emulator

    try:
        key_id_in_emulator(key, context.account_id, context.region)
    except KeyNotFound:
        arn = key_arn(key, context.account_id, context.region, context.partition)
        raise aws_error("KmsException", f"Key '{arn}' does not exist") from None


class EcrProvider(Provider):
    service = "ecr"

    def create_repository(self, context: RequestContext, request: dict) -> dict:
        name = request.get("repositoryName") or ""
        if not 2 <= len(name) <= 256:
            raise aws_error(
                "InvalidParameterException",
                "Invalid parameter at 'repositoryName' failed to satisfy constraint: "
                "'Member must have length between 2 and 256'",
            )
        encryption = request.get("encryptionConfiguration") or {}
        kind = encryption.get("encryptionType") or "AES256"
        if encryption.get("kmsKey") and kind not in ("KMS", "KMS_DSSE"):
            raise aws_error(
                "InvalidParameterException",
                "Invalid parameter at 'encryptionConfiguration': kmsKey can only be given "
                "with the KMS encryption type",
            )
        if kind in ("KMS", "KMS_DSSE") and encryption.get("kmsKey"):
            _check_key_exists(context, encryption["kmsKey"])
        _check_tags(request.get("tags") or [])
        with locked(ecr_stores, context):
            return call_moto(context)

    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        tags = request.get("tags") or []
        _check_tags(tags)
        account, region, name = _repository_arn_parts(request.get("resourceArn") or "")
        with locked_in(ecr_stores, account, region) as store:
            repo = store.backend.repositories.get(name)
            if repo is None:
                raise aws_error(
                    "RepositoryNotFoundException",
                    f"The repository with name '{name}' does not exist in the registry with "
                    f"id '{account}'",
                )
            existing = [
                t["Key"] for t in store.backend.tagger.list_tags_for_resource(repo.arn)["tags"]
            ]
            check_tag_count(
                existing,
                [t.get("Key") for t in tags],
                "TooManyTagsException",
                "A repository can have at most 50 tags",
            )
            return call_moto(context)

    def put_image_scanning_configuration(self, context: RequestContext, request: dict) -> dict:
        given = request.get("imageScanningConfiguration") or {}
        config = {"scanOnPush": bool(given.get("scanOnPush"))}
        with locked(ecr_stores, context) as store:
            try:
                return store.backend.put_image_scanning_configuration(
                    registry_id=request.get("registryId"),
                    repository_name=request.get("repositoryName"),
                    image_scan_config=config,
                )
            except MotoServiceException as e:
                # Called on the backend rather than through call_moto: its errors as AWS's.
                raise aws_error(e.code, e.message) from e

    def get_lifecycle_policy(self, context: RequestContext, request: dict) -> dict:
        with locked(ecr_stores, context):
            out = call_moto(context)
        if "lastEvaluatedAt" in out:
            out["lastEvaluatedAt"] = as_datetime(out["lastEvaluatedAt"])
        return out


def tagged_resources(account_id: str, region: str):
    """(ARN, tags) of every repository of an account and region; used by the tagging API."""
    backend = existing_backend(ecr_backends, account_id, region)
    if backend is None:
        return []
    with locked_in(ecr_stores, account_id, region):
        return [
            (
                repo.arn,
                {
                    t["Key"]: t.get("Value") or ""
                    for t in backend.tagger.list_tags_for_resource(repo.arn)["tags"]
                },
            )
            for repo in list(backend.repositories.values())
        ]
