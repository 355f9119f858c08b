"""CodeCommit provider: repositories with descriptions, renames, encryption keys and tags.

Repositories live in moto's CodeCommit backend (one per account and region), so anything served by
moto sees the same data. moto only implements create, get and delete, and drops the tags given at
creation; the operations pipewright uses are implemented here on top of its model. Tags and the
KMS key are kept on moto's repository object (attribute ``pipewright_tags``) so they follow the
repository through renames and disappear with it.
"""

from __future__ import annotations

from typing import Any

from localstack.aws.api import RequestContext
from moto.codecommit.models import CodeCommit, CodeCommitBackend, codecommit_backends

from .common import NAME_100, Arn, as_datetime, aws_error, now, reject_system_tags
from .dispatch import Provider


def _backend(account_id: str, region: str) -> CodeCommitBackend:
    return codecommit_backends[account_id][region]


def _tags(repo: CodeCommit) -> dict:
    if not hasattr(repo, "pipewright_tags"):
        repo.pipewright_tags = {}
    return repo.pipewright_tags


def _check_name(name: Any, field: str = "repositoryName") -> str:
    if not name:
        raise aws_error("RepositoryNameRequiredException", f"{field} is required")
    if not NAME_100.match(name) or name.endswith(".git"):
        raise aws_error(
            "InvalidRepositoryNameException",
            "The repository name is not valid. Repository names can be any valid combination of "
            "letters, numbers, periods, underscores, and dashes between 1 and 100 characters in "
            "length, and cannot end in .git. Names are case sensitive.",
        )
    return name


def _get(backend: CodeCommitBackend, name: str) -> CodeCommit:
    repo = backend.repositories.get(name)
    if repo is None:
        raise aws_error("RepositoryDoesNotExistException", f"{name} does not exist")
    return repo


def _metadata(repo: CodeCommit) -> dict:
    """The repository as AWS returns it, with datetimes so the serializer emits epoch seconds."""
    meta = dict(repo.repository_metadata)
    meta["creationDate"] = as_datetime(meta.get("creationDate"))
    meta["lastModifiedDate"] = as_datetime(meta.get("lastModifiedDate"))
    if not meta.get("repositoryDescription"):
        meta.pop("repositoryDescription", None)
    return meta


def _touch(repo: CodeCommit) -> None:
    repo.repository_metadata["lastModifiedDate"] = now().isoformat()


def _repo_for_arn(arn_value: str) -> CodeCommit:
    """The repository an ARN names, in the account and region the ARN says."""
    arn = Arn.parse(arn_value)
    if arn is None or arn.service != "codecommit" or not arn.resource or "/" in arn.resource:
        raise aws_error("InvalidResourceArnException", f"The ARN {arn_value} is not valid")
    return _get(_backend(arn.account, arn.region), arn.resource)


class CodeCommitProvider(Provider):
    service = "codecommit"

    def create_repository(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        description = request.get("repositoryDescription") or ""
        if len(description) > 1000:
            raise aws_error(
                "InvalidRepositoryDescriptionException",
                "The description is longer than 1,000 characters",
            )
        tags = request.get("tags") or {}
        reject_system_tags(tags, "InvalidSystemTagUsageException")
        if len(tags) > 50:
            raise aws_error("TooManyTagsException", "A repository can have at most 50 tags")
        backend = _backend(context.account_id, context.region)
        if name in backend.repositories:
            raise aws_error(
                "RepositoryNameExistsException", f"Repository named {name} already exists"
            )
        backend.create_repository(name, description)
        repo = backend.repositories[name]
        if request.get("kmsKeyId"):
            repo.repository_metadata["kmsKeyId"] = request["kmsKeyId"]
        _tags(repo).update(tags)
        return {"repositoryMetadata": _metadata(repo)}

    def get_repository(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        repo = _get(_backend(context.account_id, context.region), name)
        return {"repositoryMetadata": _metadata(repo)}

    def batch_get_repositories(self, context: RequestContext, request: dict) -> dict:
        names = request.get("repositoryNames") or []
        if not names:
            raise aws_error("RepositoryNamesRequiredException", "repositoryNames is required")
        if len(names) > 100:
            raise aws_error(
                "MaximumRepositoryNamesExceededException", "At most 100 names can be given"
            )
        backend = _backend(context.account_id, context.region)
        found, missing = [], []
        for name in names:
            repo = backend.repositories.get(name)
            if repo is None:
                missing.append(name)
            else:
                found.append(_metadata(repo))
        return {"repositories": found, "repositoriesNotFound": missing, "errors": []}

    def list_repositories(self, context: RequestContext, request: dict) -> dict:
        sort_by = request.get("sortBy") or "repositoryName"
        order = request.get("order") or "ascending"
        if sort_by not in ("repositoryName", "lastModifiedDate"):
            raise aws_error("InvalidSortByException", f"The sort criterion {sort_by} is not valid")
        if order not in ("ascending", "descending"):
            raise aws_error("InvalidOrderException", f"The order {order} is not valid")
        repos = list(_backend(context.account_id, context.region).repositories.values())
        if sort_by == "repositoryName":
            repos.sort(key=lambda r: r.repository_metadata["repositoryName"])
        else:
            repos.sort(key=lambda r: as_datetime(r.repository_metadata["lastModifiedDate"]))
        if order == "descending":
            repos.reverse()
        return {
            "repositories": [
                {
                    "repositoryName": r.repository_metadata["repositoryName"],
                    "repositoryId": r.repository_metadata["repositoryId"],
                }
                for r in repos
            ]
        }

    def update_repository_description(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        description = request.get("repositoryDescription") or ""
        if len(description) > 1000:
            raise aws_error(
                "InvalidRepositoryDescriptionException",
                "The description is longer than 1,000 characters",
            )
        repo = _get(_backend(context.account_id, context.region), name)
        repo.repository_metadata["repositoryDescription"] = description
        _touch(repo)
        return {}

    def update_repository_name(self, context: RequestContext, request: dict) -> dict:
        old = _check_name(request.get("oldName"), "oldName")
        new = _check_name(request.get("newName"), "newName")
        backend = _backend(context.account_id, context.region)
        repo = _get(backend, old)
        if old == new:
            return {}
        if new in backend.repositories:
            raise aws_error(
                "RepositoryNameExistsException", f"Repository named {new} already exists"
            )
        meta = repo.repository_metadata
        meta["repositoryName"] = new
        # Everything derived from the name moves with it, as on AWS.
        for field in ("cloneUrlHttp", "cloneUrlSsh", "Arn"):
            prefix = meta[field][: -len(old)] if meta[field].endswith(old) else None
            if prefix is not None:
                meta[field] = prefix + new
        _touch(repo)
        del backend.repositories[old]
        backend.repositories[new] = repo
        return {}

    def update_repository_encryption_key(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        key = request.get("kmsKeyId")
        if not key:
            raise aws_error("EncryptionKeyRequiredException", "kmsKeyId is required")
        repo = _get(_backend(context.account_id, context.region), name)
        meta = repo.repository_metadata
        original = meta.get("kmsKeyId")
        meta["kmsKeyId"] = key
        _touch(repo)
        result = {"repositoryId": meta["repositoryId"], "kmsKeyId": key}
        if original:
            result["originalKmsKeyId"] = original
        return result

    def delete_repository(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        # AWS answers success without an id when the repository does not exist.
        repository_id = _backend(context.account_id, context.region).delete_repository(name)
        return {"repositoryId": repository_id} if repository_id else {}

    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        arn = request.get("resourceArn")
        if not arn:
            raise aws_error("ResourceArnRequiredException", "resourceArn is required")
        tags = request.get("tags")
        if tags is None:
            raise aws_error("TagsMapRequiredException", "tags is required")
        reject_system_tags(tags, "InvalidSystemTagUsageException")
        repo = _repo_for_arn(arn)
        current = _tags(repo)
        if len(set(current) | set(tags)) > 50:
            raise aws_error("TooManyTagsException", "A repository can have at most 50 tags")
        current.update(tags)
        return {}

    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        arn = request.get("resourceArn")
        if not arn:
            raise aws_error("ResourceArnRequiredException", "resourceArn is required")
        keys = request.get("tagKeys")
        if keys is None:
            raise aws_error("TagKeysListRequiredException", "tagKeys is required")
        reject_system_tags(keys, "InvalidSystemTagUsageException")
        current = _tags(_repo_for_arn(arn))
        for key in keys:
            current.pop(key, None)
        return {}

    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        arn = request.get("resourceArn")
        if not arn:
            raise aws_error("ResourceArnRequiredException", "resourceArn is required")
        return {"tags": dict(_tags(_repo_for_arn(arn)))}


def tagged_resources(backend: CodeCommitBackend):
    """(ARN, resource type, tags) for every repository; used by the tagging API."""
    for repo in list(backend.repositories.values()):
        yield repo.repository_metadata["Arn"], "repository", dict(_tags(repo))
