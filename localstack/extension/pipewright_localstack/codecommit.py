"""CodeCommit provider: repositories with descriptions, renames, encryption keys and tags.

Repositories live in moto's CodeCommit backend (one per account and region), so anything served by
moto sees the same data. moto only implements create, get and delete, and drops the tags given at
creation; the operations pipewright uses are implemented here on top of its model. What moto has no
field for (tags, the KMS key) is kept in ``CodeCommitStore``, keyed by repository id, so it follows
the repository through renames and is dropped when the repository is deleted.

AWS's behaviour followed here: the CodeCommit API Reference,
https://docs.aws.amazon.com/codecommit/latest/APIReference/API_Operations.html (one page per
operation, ``API_<Operation>.html``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, LocalAttribute
from moto.codecommit.models import CodeCommit, CodeCommitBackend, codecommit_backends

from .common import NAME_100, Arn, as_datetime, aws_error, now
from .dispatch import Provider
from .state import Store, check_tag_count, locked, locked_in, reject_system_tags


@dataclass
class Repository:
    """What a repository has beyond moto's metadata."""

    tags: dict[str, str] = field(default_factory=dict)
    kms_key_id: str | None = None


class CodeCommitStore(Store):
    """CodeCommit state the extension adds, by repository id (stable across renames)."""

    moto_backends = codecommit_backends
    repositories: dict[str, Repository] = LocalAttribute(default=dict)

    def extras(self, repo: CodeCommit) -> Repository:
        """The additions for one of this store's repositories (empty for one moto made alone)."""
        return self.repositories.setdefault(repo.repository_metadata["repositoryId"], Repository())


codecommit_stores = AccountRegionBundle("codecommit", CodeCommitStore, validate=False)

# The user tag limit is CodeCommit's quota (https://docs.aws.amazon.com/codecommit/latest/userguide/limits.html).
_TOO_MANY_TAGS = ("TooManyTagsException", "A repository can have at most 50 tags")


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


def _check_description(description: str) -> str:
    if len(description) > 1000:
        raise aws_error(
            "InvalidRepositoryDescriptionException",
            "The description is longer than 1,000 characters",
        )
    return description


def _get(backend: CodeCommitBackend, name: str) -> CodeCommit:
    repo = backend.repositories.get(name)
    if repo is None:
        raise aws_error("RepositoryDoesNotExistException", f"{name} does not exist")
    return repo


def _metadata(store: CodeCommitStore, repo: CodeCommit) -> dict:
    """The repository as AWS returns it, with datetimes so the serializer emits epoch seconds."""
    meta = dict(repo.repository_metadata)
    meta["creationDate"] = as_datetime(meta.get("creationDate"))
    meta["lastModifiedDate"] = as_datetime(meta.get("lastModifiedDate"))
    if not meta.get("repositoryDescription"):
        meta.pop("repositoryDescription", None)
    kms_key_id = store.extras(repo).kms_key_id
    if kms_key_id:
        meta["kmsKeyId"] = kms_key_id
    return meta


def _touch(repo: CodeCommit) -> None:
    repo.repository_metadata["lastModifiedDate"] = now().isoformat()


def _arn_place(arn_value: Any) -> tuple[str, str, str]:
    """(account, region, repository name) of a repository ARN; the store to lock is the ARN's."""
    if not arn_value:
        raise aws_error("ResourceArnRequiredException", "resourceArn is required")
    arn = Arn.parse(arn_value)
    if arn is None or arn.service != "codecommit" or not arn.resource or "/" in arn.resource:
        raise aws_error("InvalidResourceArnException", f"The ARN {arn_value} is not valid")
    return arn.account, arn.region, arn.resource


class CodeCommitProvider(Provider):
    service = "codecommit"

    def create_repository(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        description = _check_description(request.get("repositoryDescription") or "")
        tags = request.get("tags") or {}
        reject_system_tags(tags, "InvalidSystemTagUsageException")
        check_tag_count((), tags, *_TOO_MANY_TAGS)
        # The name check and the creation are one step under the store's lock: concurrent calls
        # with one name create one repository, and every other call is refused (CreateRepository:
        # RepositoryNameExistsException).
        with locked(codecommit_stores, context) as store:
            backend = store.backend
            if name in backend.repositories:
                raise aws_error(
                    "RepositoryNameExistsException", f"Repository named {name} already exists"
                )
            backend.create_repository(name, description)
            repo = backend.repositories[name]
            extras = store.extras(repo)
            extras.kms_key_id = request.get("kmsKeyId") or None
            extras.tags.update(tags)
            return {"repositoryMetadata": _metadata(store, repo)}

    def get_repository(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        with locked(codecommit_stores, context) as store:
            return {"repositoryMetadata": _metadata(store, _get(store.backend, name))}

    def batch_get_repositories(self, context: RequestContext, request: dict) -> dict:
        names = request.get("repositoryNames") or []
        if not names:
            raise aws_error("RepositoryNamesRequiredException", "repositoryNames is required")
        if len(names) > 100:
            raise aws_error(
                "MaximumRepositoryNamesExceededException", "At most 100 names can be given"
            )
        found, missing = [], []
        with locked(codecommit_stores, context) as store:
            for name in names:
                repo = store.backend.repositories.get(name)
                if repo is None:
                    missing.append(name)
                else:
                    found.append(_metadata(store, repo))
        return {"repositories": found, "repositoriesNotFound": missing, "errors": []}

    def list_repositories(self, context: RequestContext, request: dict) -> dict:
        sort_by = request.get("sortBy") or "repositoryName"
        order = request.get("order") or "ascending"
        if sort_by not in ("repositoryName", "lastModifiedDate"):
            raise aws_error("InvalidSortByException", f"The sort criterion {sort_by} is not valid")
        if order not in ("ascending", "descending"):
            raise aws_error("InvalidOrderException", f"The order {order} is not valid")
        with locked(codecommit_stores, context) as store:
            metas = [dict(r.repository_metadata) for r in store.backend.repositories.values()]
        if sort_by == "repositoryName":
            metas.sort(key=lambda m: m["repositoryName"])
        else:
            metas.sort(key=lambda m: as_datetime(m["lastModifiedDate"]))
        if order == "descending":
            metas.reverse()
        return {
            "repositories": [
                {"repositoryName": m["repositoryName"], "repositoryId": m["repositoryId"]}
                for m in metas
            ]
        }

    def update_repository_description(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        description = _check_description(request.get("repositoryDescription") or "")
        with locked(codecommit_stores, context) as store:
            repo = _get(store.backend, name)
            repo.repository_metadata["repositoryDescription"] = description
            _touch(repo)
        return {}

    def update_repository_name(self, context: RequestContext, request: dict) -> dict:
        old = _check_name(request.get("oldName"), "oldName")
        new = _check_name(request.get("newName"), "newName")
        # Checking the new name free and moving the repository there is one step, as for creation.
        with locked(codecommit_stores, context) as store:
            backend = store.backend
            repo = _get(backend, old)
            if old == new:
                return {}
            if new in backend.repositories:
                raise aws_error(
                    "RepositoryNameExistsException", f"Repository named {new} already exists"
                )
            meta = repo.repository_metadata
            meta["repositoryName"] = new
            # Everything derived from the name moves with it, as on AWS; tags and the key are
            # kept by id and so stay with the repository.
            for field_name in ("cloneUrlHttp", "cloneUrlSsh", "Arn"):
                if meta[field_name].endswith(old):
                    meta[field_name] = meta[field_name][: -len(old)] + new
            _touch(repo)
            del backend.repositories[old]
            backend.repositories[new] = repo
        return {}

    def update_repository_encryption_key(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        key = request.get("kmsKeyId")
        if not key:
            raise aws_error("EncryptionKeyRequiredException", "kmsKeyId is required")
        with locked(codecommit_stores, context) as store:
            repo = _get(store.backend, name)
            extras = store.extras(repo)
            original, extras.kms_key_id = extras.kms_key_id, key
            _touch(repo)
            result = {"repositoryId": repo.repository_metadata["repositoryId"], "kmsKeyId": key}
        if original:
            result["originalKmsKeyId"] = original
        return result

    def delete_repository(self, context: RequestContext, request: dict) -> dict:
        name = _check_name(request.get("repositoryName"))
        with locked(codecommit_stores, context) as store:
            repository_id = store.backend.delete_repository(name)
            if repository_id:
                store.repositories.pop(repository_id, None)
        # AWS answers success without an id when the repository does not exist.
        return {"repositoryId": repository_id} if repository_id else {}

    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        account, region, name = _arn_place(request.get("resourceArn"))
        tags = request.get("tags")
        if tags is None:
            raise aws_error("TagsMapRequiredException", "tags is required")
        reject_system_tags(tags, "InvalidSystemTagUsageException")
        # The count is checked against the tags it is added to, under one lock.
        with locked_in(codecommit_stores, account, region) as store:
            current = store.extras(_get(store.backend, name)).tags
            check_tag_count(current, tags, *_TOO_MANY_TAGS)
            current.update(tags)
        return {}

    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        account, region, name = _arn_place(request.get("resourceArn"))
        keys = request.get("tagKeys")
        if keys is None:
            raise aws_error("TagKeysListRequiredException", "tagKeys is required")
        reject_system_tags(keys, "InvalidSystemTagUsageException")
        with locked_in(codecommit_stores, account, region) as store:
            current = store.extras(_get(store.backend, name)).tags
            for key in keys:
                current.pop(key, None)
        return {}

    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        account, region, name = _arn_place(request.get("resourceArn"))
        with locked_in(codecommit_stores, account, region) as store:
            return {"tags": dict(store.extras(_get(store.backend, name)).tags)}


def tagged_resources(store: CodeCommitStore):
    """(ARN, resource type, tags) for every repository; used by the tagging API."""
    with store.lock:
        found = [
            (repo.repository_metadata["Arn"], "repository", dict(store.extras(repo).tags))
            for repo in store.backend.repositories.values()
        ]
    yield from found
