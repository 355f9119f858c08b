"""CodeCommit provider: repositories with descriptions, renames, encryption keys and tags, and
their content (branches, commits, files) in a real git repository each.

Repositories live in moto's CodeCommit backend (one per account and region), so anything served by
moto sees the same data. moto only implements create, get and delete, and drops the tags given at
creation; the operations pipewright uses are implemented here on top of its model. What moto has no
field for (tags, the KMS key) is kept in ``CodeCommitStore``, keyed by repository id, so it follows
the repository through renames and is dropped when the repository is deleted.

Each repository's content is a bare git repository (``gitstore``), which ``githttp`` serves to the
git CLI at the repository's ``cloneUrlHttp``. The handlers here check the request and resolve the
repository under the store's lock, then do their git work outside it: git's own lock files and the
compare-and-swap on every branch move (``gitstore.move_ref``) keep concurrent writers apart, and a
git call under the store lock would hold up every other CodeCommit request of the account.

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

from . import codecommit_events, gitstore
from .common import NAME_100, Arn, as_datetime, aws_error, now, paginate
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

# Accounts closed to CodeCommit: since 25 July 2024 CodeCommit takes no new customers, and an
# account (or organization) without a repository is refused every CreateRepository with
# OperationNotAllowedException (AWS DevOps blog, "How to migrate your AWS CodeCommit repository to
# another Git provider"; the error as reported against AWS in aws-samples/eks-workshop-v2#1142 and
# aws-containers/ecs-workshop-blue-green-deployments#11). Requests signed with this access key id
# (LocalStack's account id) see such an account; every other account is one that has repositories.
CLOSED_ACCOUNT = "072524000000"
_CLOSED_MESSAGE = (
    "CreateRepository request is not allowed because there is no existing repository in this AWS "
    "account or AWS Organization"
)


def _key_id(context: RequestContext, key: str | None) -> str | None:
    """The id of the KMS key ``key`` names: CodeCommit takes a key id, key ARN, alias name or alias
    ARN and answers with the key's id (RepositoryMetadata ``kmsKeyId``: "The ID of the Key
    Management Service encryption key"). A key or alias that names no key of the account and
    region is EncryptionKeyNotFoundException, as on AWS (see ``kms_keys``)."""
    if not key:
        return None
    from localstack.services.kms.models import kms_stores

    from .kms_keys import KeyNotFound, resolve_key_id

    kms = kms_stores[context.account_id][context.region]
    aliases = {name: alias.metadata["TargetKeyId"] for name, alias in kms.aliases.items()}
    try:
        return resolve_key_id(key, context.account_id, context.region, kms.keys, aliases)
    except KeyNotFound:
        raise aws_error("EncryptionKeyNotFoundException", "No encryption key was found.") from None


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


def clone_url_http(account_id: str, region: str, name: str) -> str:
    """Where the git CLI reaches a repository: this emulator's own gateway (``githttp``).

    AWS's URL is ``https://git-codecommit.<region>.amazonaws.com/v1/repos/<name>``, the account
    coming from the caller's credentials. The emulator accepts any or no credentials, so the
    account and region are in the path instead; the URL still ends in ``/v1/repos/<name>``, so
    ``git clone`` names the folder after the repository as it does on AWS.
    """
    from localstack import config

    return f"http://{config.LOCALSTACK_HOST}/git/{account_id}/{region}/v1/repos/{name}"


def _metadata(store: CodeCommitStore, repo: CodeCommit) -> dict:
    """The repository as AWS returns it, with datetimes so the serializer emits epoch seconds."""
    meta = dict(repo.repository_metadata)
    # GetRepository shows defaultBranch once the repository has a branch, as on AWS.
    branch = gitstore.default_branch(_git(store, repo))
    if branch:
        meta["defaultBranch"] = branch
    meta["creationDate"] = as_datetime(meta.get("creationDate"))
    meta["lastModifiedDate"] = as_datetime(meta.get("lastModifiedDate"))
    if not meta.get("repositoryDescription"):
        meta.pop("repositoryDescription", None)
    kms_key_id = store.extras(repo).kms_key_id
    if kms_key_id:
        meta["kmsKeyId"] = kms_key_id
    return meta


def _git(store: CodeCommitStore, repo: CodeCommit):
    return gitstore.repo_path(
        store.account_id, store.region, repo.repository_metadata["repositoryId"]
    )


def _id(repo: CodeCommit) -> str:
    return repo.repository_metadata["repositoryId"]


@dataclass
class GitRepository:
    """A repository resolved for a content request: its git folder and what events name."""

    path: Any
    name: str
    id: str
    arn: str
    account_id: str
    region: str

    def moved(self, changes: list[codecommit_events.RefChange]) -> None:
        codecommit_events.emit(self.account_id, self.region, self.name, self.id, self.arn, changes)


def git_repository(account_id: str, region: str, name: str) -> GitRepository:
    """A repository's git side by name (RepositoryDoesNotExistException when there is none)."""
    with locked_in(codecommit_stores, account_id, region) as store:
        repo = _get(store.backend, name)
        meta = repo.repository_metadata
        return GitRepository(_git(store, repo), name, _id(repo), meta["Arn"], account_id, region)


def _git_repository(context: RequestContext, request: dict) -> GitRepository:
    name = _check_name(request.get("repositoryName"))
    return git_repository(context.account_id, context.region, name)


def _commit_specifier(git: GitRepository, spec: str | None) -> str:
    """The commit GetFile/GetFolder read: ``commitSpecifier`` (a commit id, branch or ref), or
    the default branch's tip when none is given."""
    if not spec:
        spec = gitstore.default_branch(git.path)
        if spec is None:
            raise aws_error("CommitDoesNotExistException", "The repository has no commits")
    commit = gitstore.resolve_commit(git.path, spec)
    if commit is None:
        raise aws_error("CommitDoesNotExistException", f"The commit {spec} does not exist")
    return commit


def _author(context: RequestContext, request: dict, name_field: str) -> tuple[str, str]:
    # Without a name, AWS uses the caller's identity; the emulator's caller is its account.
    name = request.get(name_field) or context.account_id
    email = request.get("email") or ""
    if len(name) > 1024:
        raise aws_error("NameLengthExceededException", "The name is longer than 1,024 characters")
    if email and ("@" not in email or any(c in email for c in "<>\n")):
        raise aws_error("InvalidEmailException", f"The email address {email} is not valid")
    return name, email


def _message(request: dict) -> str:
    # CreateCommit: "Commit messages are limited to 256 KB. If no message is specified, a default
    # message is used." (AWS does not document its wording; this is ours.)
    message = request.get("commitMessage") or "Commit made with the CodeCommit API"
    if len(message.encode()) > 256 * 1024:
        raise aws_error(
            "CommitMessageLengthExceededException", "Commit messages are limited to 256 KB"
        )
    return message


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
        if context.account_id == CLOSED_ACCOUNT:
            raise aws_error("OperationNotAllowedException", _CLOSED_MESSAGE)
        name = _check_name(request.get("repositoryName"))
        description = _check_description(request.get("repositoryDescription") or "")
        key_id = _key_id(context, request.get("kmsKeyId"))
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
            repo.repository_metadata["cloneUrlHttp"] = clone_url_http(
                context.account_id, context.region, name
            )
            try:
                gitstore.create(context.account_id, context.region, _id(repo))
            except gitstore.GitError:
                backend.delete_repository(name)
                raise
            extras = store.extras(repo)
            extras.kms_key_id = key_id
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
        key = _key_id(context, key)
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
                gitstore.delete(context.account_id, context.region, repository_id)
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

    # Content: branches, commits and files, in the repository's git folder (``gitstore``).

    def get_branch(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        branch = gitstore.check_branch_name(request.get("branchName"))
        tip = gitstore.branch_tip(git.path, branch)
        if tip is None:
            raise aws_error("BranchDoesNotExistException", f"The branch {branch} does not exist")
        return {"branch": {"branchName": branch, "commitId": tip}}

    def list_branches(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        names = sorted(gitstore.branches(git.path))
        page, token = paginate(names, request.get("nextToken"), None, 100)
        if page is None:
            raise aws_error(
                "InvalidContinuationTokenException", "The continuation token is not valid"
            )
        result = {"branches": page}
        if token:
            result["nextToken"] = token
        return result

    def create_branch(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        branch = gitstore.check_branch_name(request.get("branchName"))
        commit_id = request.get("commitId")
        if not commit_id:
            raise aws_error("CommitIdRequiredException", "A commit ID is required")
        if not gitstore.HEX_ID.match(commit_id):
            raise aws_error("InvalidCommitIdException", f"The commit ID {commit_id} is not valid")
        commit = gitstore.resolve_commit(git.path, commit_id)
        if commit is None:
            raise aws_error("CommitDoesNotExistException", f"The commit {commit_id} does not exist")
        with gitstore.writer(git.path):
            if not gitstore.move_ref(git.path, f"refs/heads/{branch}", commit, None):
                raise aws_error("BranchNameExistsException", f"The branch {branch} already exists")
            gitstore.ensure_default_branch(git.path)
        git.moved([codecommit_events.RefChange(f"refs/heads/{branch}", None, commit)])
        return {}

    def delete_branch(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        branch = gitstore.check_branch_name(request.get("branchName"))
        if gitstore.default_branch(git.path) == branch:
            raise aws_error(
                "DefaultBranchCannotBeDeletedException",
                f"The branch {branch} is the default branch and cannot be deleted",
            )
        with gitstore.writer(git.path):
            tip = gitstore.branch_tip(git.path, branch)
            # DeleteBranch has no "does not exist" error: AWS answers without deletedBranch.
            if tip is None or not gitstore.move_ref(git.path, f"refs/heads/{branch}", None, tip):
                return {}
        git.moved([codecommit_events.RefChange(f"refs/heads/{branch}", tip, None)])
        return {"deletedBranch": {"branchName": branch, "commitId": tip}}

    def update_default_branch(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        branch = gitstore.check_branch_name(request.get("defaultBranchName"))
        if gitstore.branch_tip(git.path, branch) is None:
            raise aws_error("BranchDoesNotExistException", f"The branch {branch} does not exist")
        gitstore.set_default_branch(git.path, branch)
        return {}

    def get_commit(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        commit_id = request.get("commitId")
        if not commit_id:
            raise aws_error("CommitIdRequiredException", "A commit ID is required")
        if not gitstore.HEX_ID.match(commit_id):
            raise aws_error("InvalidCommitIdException", f"The commit ID {commit_id} is not valid")
        commit = gitstore.resolve_commit(git.path, commit_id)
        if commit is None:
            raise aws_error(
                "CommitIdDoesNotExistException", f"The commit ID {commit_id} does not exist"
            )
        return {"commit": gitstore.read_commit(git.path, commit).as_aws()}

    def create_commit(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        branch = gitstore.check_branch_name(request.get("branchName"))
        name, email = _author(context, request, "authorName")
        change = gitstore.Change(
            put=list(request.get("putFiles") or []),
            delete=[e.get("filePath") for e in request.get("deleteFiles") or []],
            modes=list(request.get("setFileModes") or []),
            keep_empty_folders=bool(request.get("keepEmptyFolders")),
        )
        with gitstore.writer(git.path):
            written = gitstore.write_commit(
                git.path,
                branch,
                request.get("parentCommitId"),
                change,
                _message(request),
                name,
                email,
            )
        git.moved(
            [
                codecommit_events.RefChange(
                    f"refs/heads/{branch}", written.old_commit_id, written.commit_id
                )
            ]
        )
        return {
            "commitId": written.commit_id,
            "treeId": written.tree_id,
            "filesAdded": written.added,
            "filesUpdated": written.updated,
            "filesDeleted": written.deleted,
        }

    def put_file(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        branch = gitstore.check_branch_name(request.get("branchName"))
        content = request.get("fileContent")
        if content is None:
            raise aws_error("FileContentRequiredException", "The file content is required")
        path = gitstore.normalize_path(request.get("filePath"))
        name, email = _author(context, request, "name")
        mode = request.get("fileMode")
        entry = {"filePath": path, "fileContent": content}
        if mode is not None:
            entry["fileMode"] = mode
        with gitstore.writer(git.path):
            # PutFile refuses a write that changes nothing (SameFileContentException), where
            # CreateCommit says NoChangeException; the parent rules are checked first.
            tip = gitstore.check_parent(git.path, branch, request.get("parentCommitId"))
            if tip is not None:
                current = gitstore.path_entry(git.path, tip, path)
                if current is not None and current.type == "blob":
                    same_mode = mode is None or gitstore.MODES.get(mode) == current.mode
                    if same_mode and gitstore.read_blob(git.path, current.object_id) == content:
                        raise aws_error(
                            "SameFileContentException",
                            f"The file {path} already has this content",
                        )
            written = gitstore.write_commit(
                git.path,
                branch,
                request.get("parentCommitId"),
                gitstore.Change(put=[entry]),
                _message(request),
                name,
                email,
            )
        git.moved(
            [
                codecommit_events.RefChange(
                    f"refs/heads/{branch}", written.old_commit_id, written.commit_id
                )
            ]
        )
        blob = next(
            f["blobId"] for f in written.added + written.updated if f["absolutePath"] == path
        )
        return {"commitId": written.commit_id, "blobId": blob, "treeId": written.tree_id}

    def get_file(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        path = gitstore.normalize_path(request.get("filePath"))
        commit = _commit_specifier(git, request.get("commitSpecifier"))
        entry = gitstore.path_entry(git.path, commit, path)
        if entry is None or entry.type != "blob":
            raise aws_error("FileDoesNotExistException", f"The file {path} does not exist")
        content = gitstore.read_blob(git.path, entry.object_id)
        return {
            "commitId": commit,
            "blobId": entry.object_id,
            "filePath": path,
            "fileMode": gitstore.MODE_NAMES.get(entry.mode, "NORMAL"),
            "fileSize": len(content),
            "fileContent": content,
        }

    def get_folder(self, context: RequestContext, request: dict) -> dict:
        git = _git_repository(context, request)
        folder = request.get("folderPath")
        path = gitstore.normalize_path(folder, allow_root=True)
        commit = _commit_specifier(git, request.get("commitSpecifier"))
        entry = gitstore.path_entry(git.path, commit, path)
        if entry is None or entry.type != "tree":
            raise aws_error("FolderDoesNotExistException", f"The folder {folder} does not exist")
        result = {
            "commitId": commit,
            "folderPath": folder,
            "treeId": entry.object_id,
            "subFolders": [],
            "files": [],
            "symbolicLinks": [],
            "subModules": [],
        }
        for name, item in sorted(
            gitstore.tree_entries(git.path, entry.object_id, recursive=False).items()
        ):
            absolute = f"{path}/{name}" if path else name
            if item.type == "tree":
                result["subFolders"].append(
                    {"treeId": item.object_id, "absolutePath": absolute, "relativePath": name}
                )
            elif item.type == "commit":
                result["subModules"].append(
                    {"commitId": item.object_id, "absolutePath": absolute, "relativePath": name}
                )
            else:
                kind = "symbolicLinks" if item.mode == "120000" else "files"
                result[kind].append(
                    {
                        "blobId": item.object_id,
                        "absolutePath": absolute,
                        "relativePath": name,
                        "fileMode": gitstore.MODE_NAMES.get(item.mode, "NORMAL"),
                    }
                )
        return result


def tagged_resources(store: CodeCommitStore):
    """(ARN, resource type, tags) for every repository; used by the tagging API."""
    with store.lock:
        found = [
            (repo.repository_metadata["Arn"], "repository", dict(store.extras(repo).tags))
            for repo in store.backend.repositories.values()
        ]
    yield from found
