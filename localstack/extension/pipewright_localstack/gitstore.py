"""The git side of CodeCommit: one bare repository per emulated repository, driven by git plumbing.

Each repository created through CreateRepository is a real bare git repository at
``<state>/codecommit/<account>/<region>/<repository-id>.git`` (``<state>`` is LocalStack's data
folder, which the launcher places in the instance's state folder). It is named by id, so it
follows the repository through renames, and it is deleted with it. ``githttp`` serves these
folders to the git CLI; the content APIs (``GetBranch``, ``CreateCommit``, ``GetFile``...) and the
pipeline executor (``source_revision``) read and write them here.

Every git call runs with a timeout and an environment built from scratch (no host credentials,
configuration or ``HOME``), through ``run_git``. Branch moves use ``git update-ref`` with the old
value, a compare-and-swap: two writers that read the same tip cannot both move it, which is how
AWS's ``ParentCommitIdOutdatedException`` is decided without holding a lock across git calls.

AWS's behaviour followed: the CodeCommit API Reference,
https://docs.aws.amazon.com/codecommit/latest/APIReference/ (``API_<Operation>.html``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .common import aws_error

GIT_TIMEOUT_SECONDS = 30
ZERO = "0" * 40
HEX_ID = re.compile(r"^[0-9a-f]{4,40}$")

# git's modes and the names CodeCommit gives them (FileModeTypeEnum).
MODES = {"NORMAL": "100644", "EXECUTABLE": "100755", "SYMLINK": "120000"}
MODE_NAMES = {v: k for k, v in MODES.items()}

# CodeCommit quotas (https://docs.aws.amazon.com/codecommit/latest/userguide/limits.html): a
# single file written through the console or the API is at most 6 MB, a commit through the API
# touches at most 100 files.
MAX_FILE_BYTES = 6 * 1024 * 1024
MAX_FILE_ENTRIES = 100


class GitError(Exception):
    """A git command failed or timed out (an emulator fault, not the caller's)."""


def root() -> Path:
    """The folder holding every repository of this emulator."""
    from localstack import config

    return Path(config.dirs.data) / "codecommit"


def repo_path(account_id: str, region: str, repository_id: str) -> Path:
    """Where one repository's bare git folder lives (inside ``root()``, always)."""
    for part in (account_id, region, repository_id):
        # The parts come from our own state (moto's uuid ids, validated account and region), but
        # a path must never leave the state folder, so refuse anything that is not a plain name.
        if not part or "/" in part or part.startswith("."):
            raise GitError(f"not a repository folder name: {part!r}")
    return root() / account_id / region / f"{repository_id}.git"


def _git_binary() -> str:
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed on this machine")
    return git


def git_env(extra: dict | None = None) -> dict:
    """An environment for git from scratch: nothing of the host's leaks into a git command."""
    home = root() / ".home"
    home.mkdir(parents=True, exist_ok=True)
    git_dir = os.path.dirname(_git_binary())
    env = {
        "PATH": f"{git_dir}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C",
        "LC_ALL": "C",
        "TZ": "UTC",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ATTR_NOSYSTEM": "1",
    }
    env.update(extra or {})
    return env


def run_git(
    repo: Path, *args: str, input: bytes | None = None, env: dict | None = None, check=True
) -> subprocess.CompletedProcess:
    """Runs ``git --git-dir=<repo> <args>`` with a timeout and a scrubbed environment."""
    try:
        done = subprocess.run(
            [_git_binary(), f"--git-dir={repo}", *args],
            input=input,
            capture_output=True,
            env=git_env(env),
            cwd=str(root()),
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise GitError(f"git {args[0]} timed out after {GIT_TIMEOUT_SECONDS} s") from e
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done


def _out(repo: Path, *args: str, input: bytes | None = None, env: dict | None = None) -> str:
    return run_git(repo, *args, input=input, env=env).stdout.decode().strip()


# ------------------------------------------------------------------------------------------------
# Repositories


def create(account_id: str, region: str, repository_id: str) -> Path:
    """Makes the empty bare repository of a new CodeCommit repository."""
    path = repo_path(account_id, region, repository_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    root().mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [_git_binary(), "init", "--bare", "--quiet", str(path)],
            capture_output=True,
            env=git_env(),
            cwd=str(root()),
            timeout=GIT_TIMEOUT_SECONDS,
            check=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        raise GitError(f"git init {path}: {e}") from e
    # Pushes over smart HTTP come without an authenticated user (any or no credentials are
    # accepted, as the emulator has no IAM), so receive-pack is enabled explicitly.
    run_git(path, "config", "http.receivepack", "true")
    # Unreachable objects from a non-fast-forward push are kept as git keeps them; nothing
    # here prunes in the background.
    run_git(path, "config", "gc.auto", "0")
    return path


def delete(account_id: str, region: str, repository_id: str) -> None:
    """Deletes a repository's git data (DeleteRepository)."""
    shutil.rmtree(repo_path(account_id, region, repository_id), ignore_errors=True)


def delete_all() -> None:
    """Removes every repository: moto's repositories live in memory, so git data from an earlier
    run of this instance belongs to nothing."""
    shutil.rmtree(root(), ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# Refs


def branches(repo: Path) -> dict[str, str]:
    """Branch name to commit id."""
    out = _out(repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/")
    found = {}
    for line in out.splitlines():
        commit, ref = line.split(" ", 1)
        found[ref[len("refs/heads/") :]] = commit
    return found


def refs(repo: Path) -> dict[str, str]:
    """Every branch and tag (full ref name to the object it names), to compare around a push."""
    out = _out(
        repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/", "refs/tags/"
    )
    return dict(reversed(line.split(" ", 1)) for line in out.splitlines())


def branch_tip(repo: Path, branch: str) -> str | None:
    done = run_git(
        repo, "rev-parse", "--verify", "-q", f"refs/heads/{branch}^{{commit}}", check=False
    )
    return done.stdout.decode().strip() if done.returncode == 0 else None


def default_branch(repo: Path) -> str | None:
    """HEAD's branch once it exists; an empty repository has none, as on AWS."""
    done = run_git(repo, "symbolic-ref", "-q", "HEAD", check=False)
    ref = done.stdout.decode().strip()
    if done.returncode != 0 or not ref.startswith("refs/heads/"):
        return None
    name = ref[len("refs/heads/") :]
    return name if branch_tip(repo, name) else None


def set_default_branch(repo: Path, branch: str) -> None:
    run_git(repo, "symbolic-ref", "HEAD", f"refs/heads/{branch}")


def ensure_default_branch(repo: Path) -> None:
    """Makes the first branch of a repository its default, as AWS does ("the first branch you
    create or push becomes the default branch", CodeCommit User Guide, "Working with branches").

    Called after every branch change; when a push creates several branches at once, ``main``
    or ``master`` is preferred, else the first by name. HEAD points at it so that ``git clone``
    checks it out.
    """
    if default_branch(repo) is not None:
        return
    names = sorted(branches(repo))
    if not names:
        return
    for preferred in ("main", "master"):
        if preferred in names:
            set_default_branch(repo, preferred)
            return
    set_default_branch(repo, names[0])


def move_ref(repo: Path, ref: str, new: str | None, old: str | None) -> bool:
    """Compare-and-swap of a ref: sets (or deletes, ``new=None``) ``ref`` only if it still names
    ``old`` (``None``: only if it does not exist). False when someone else moved it first."""
    expected = old or ZERO
    if new is None:
        done = run_git(repo, "update-ref", "-d", ref, expected, check=False)
    else:
        done = run_git(repo, "update-ref", ref, new, expected, check=False)
    return done.returncode == 0


# ------------------------------------------------------------------------------------------------
# Names and paths, as CodeCommit checks them


def check_branch_name(name: str | None) -> str:
    """BranchNameRequiredException / InvalidBranchNameException, by git's own ref-name rules."""
    if not name:
        raise aws_error("BranchNameRequiredException", "A branch name is required")
    if len(name) > 256 or name.startswith("-"):
        raise aws_error("InvalidBranchNameException", f"The branch name {name} is not valid")
    done = subprocess.run(
        [_git_binary(), "check-ref-format", f"refs/heads/{name}"],
        capture_output=True,
        env=git_env(),
        cwd=str(root()),
        timeout=GIT_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise aws_error("InvalidBranchNameException", f"The branch name {name} is not valid")
    return name


def normalize_path(path: str | None, *, allow_root: bool = False) -> str:
    """A repository path without leading or trailing slashes (``""`` is the root folder).

    PathRequiredException when missing; InvalidPathException for ``.``, ``..`` or empty parts and
    for paths inside ``.git`` (CodeCommit refuses those, as git does).
    """
    if path is None or path == "":
        raise aws_error("PathRequiredException", "A path is required")
    clean = path.strip("/")
    if clean == "":
        if allow_root:
            return ""
        raise aws_error("InvalidPathException", f"The path {path} is not valid")
    parts = clean.split("/")
    if any(p in ("", ".", "..") for p in parts) or parts[0] == ".git" or "\0" in clean:
        raise aws_error("InvalidPathException", f"The path {path} is not valid")
    return clean


# ------------------------------------------------------------------------------------------------
# Objects


@dataclass
class Person:
    name: str
    email: str
    date: str  # git's raw form, "<epoch seconds> <+hhmm>", which is what CodeCommit returns


@dataclass
class CommitInfo:
    commit_id: str
    tree_id: str
    parents: list[str]
    message: str
    author: Person
    committer: Person

    def as_aws(self) -> dict:
        """GetCommit's ``Commit`` shape."""
        return {
            "commitId": self.commit_id,
            "treeId": self.tree_id,
            "parents": list(self.parents),
            "message": self.message,
            "author": vars(self.author).copy(),
            "committer": vars(self.committer).copy(),
            "additionalData": "",
        }


_PERSON = re.compile(r"^(.*) <(.*)> (\d+ [+-]\d{4})$")


def _person(value: str) -> Person:
    m = _PERSON.match(value)
    if not m:
        return Person(value, "", "")
    return Person(m.group(1), m.group(2), m.group(3))


def resolve_commit(repo: Path, spec: str) -> str | None:
    """The commit id a specifier (commit id, branch, tag or ref) names, or None."""
    if not spec or spec.startswith("-") or any(c in spec for c in " \t\n:^~\\"):
        # Only names, not git's revision expressions: CodeCommit takes a commit id, a branch
        # name or a full reference.
        return None
    for candidate in (spec, f"refs/heads/{spec}") if "/" not in spec else (spec,):
        done = run_git(repo, "rev-parse", "--verify", "-q", f"{candidate}^{{commit}}", check=False)
        if done.returncode == 0:
            return done.stdout.decode().strip()
    return None


def read_commit(repo: Path, commit_id: str) -> CommitInfo:
    raw = run_git(repo, "cat-file", "commit", commit_id).stdout.decode(errors="replace")
    header, _, message = raw.partition("\n\n")
    tree, parents, author, committer = "", [], "", ""
    for line in header.splitlines():
        key, _, value = line.partition(" ")
        if key == "tree":
            tree = value
        elif key == "parent":
            parents.append(value)
        elif key == "author":
            author = value
        elif key == "committer":
            committer = value
    return CommitInfo(commit_id, tree, parents, message, _person(author), _person(committer))


@dataclass
class Entry:
    mode: str
    type: str
    object_id: str


def tree_entries(
    repo: Path, commit_or_tree: str | None, *, recursive: bool = True
) -> dict[str, Entry]:
    """Path to entry for every file (``recursive``) or for one folder level."""
    if commit_or_tree is None:
        return {}
    args = ["ls-tree", "-z", "--full-tree"]
    if recursive:
        args.append("-r")
    out = run_git(repo, *args, commit_or_tree).stdout.decode(errors="surrogateescape")
    found = {}
    for item in out.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        mode, kind, object_id = meta.split(" ")
        found[path] = Entry(mode, kind, object_id)
    return found


def path_entry(repo: Path, commit_id: str, path: str) -> Entry | None:
    """The entry at ``path`` of a commit (file, folder, link or submodule), or None."""
    if path == "":
        tree = _out(repo, "rev-parse", f"{commit_id}^{{tree}}")
        return Entry("040000", "tree", tree)
    out = run_git(repo, "ls-tree", "-z", "--full-tree", commit_id, "--", path).stdout.decode(
        errors="surrogateescape"
    )
    for item in out.split("\0"):
        if not item:
            continue
        meta, found = item.split("\t", 1)
        if found == path:
            mode, kind, object_id = meta.split(" ")
            return Entry(mode, kind, object_id)
    return None


def read_blob(repo: Path, blob_id: str) -> bytes:
    return run_git(repo, "cat-file", "blob", blob_id).stdout


def write_blob(repo: Path, content: bytes) -> str:
    return _out(repo, "hash-object", "-w", "--stdin", input=content)


def write_tree(repo: Path, files: dict[str, Entry]) -> str:
    """Writes a tree holding exactly ``files`` (path to blob entry) through a temporary index."""
    with tempfile.TemporaryDirectory(dir=str(root())) as scratch:
        env = {"GIT_INDEX_FILE": os.path.join(scratch, "index")}
        lines = "".join(
            f"{e.mode} {e.object_id}\t{path}\0" for path, e in sorted(files.items())
        ).encode(errors="surrogateescape")
        run_git(repo, "update-index", "-z", "--index-info", input=lines, env=env)
        return _out(repo, "write-tree", env=env)


def empty_tree(repo: Path) -> str:
    return _out(repo, "hash-object", "-t", "tree", "-w", "--stdin", input=b"")


def commit_tree(
    repo: Path, tree: str, parent: str | None, message: str, name: str, email: str
) -> str:
    args = ["commit-tree", tree]
    if parent:
        args += ["-p", parent]
    # The author is also the committer: "This information is used as both the author and
    # committer for the commit" (CreateCommit, authorName).
    env = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    return _out(repo, *args, input=message.encode(), env=env)


# ------------------------------------------------------------------------------------------------
# Writing a commit (CreateCommit, PutFile)


@dataclass
class Change:
    """One commit's file changes, as CreateCommit's request lists them."""

    put: list[dict] = field(
        default_factory=list
    )  # {filePath, fileMode?, fileContent?, sourceFile?}
    delete: list[str] = field(default_factory=list)
    modes: list[dict] = field(default_factory=list)  # {filePath, fileMode}
    keep_empty_folders: bool = False


@dataclass
class Written:
    commit_id: str
    tree_id: str
    added: list[dict]
    updated: list[dict]
    deleted: list[dict]
    old_commit_id: str | None
    created_branch: bool


def _mode(value: str | None, default: str = "100644") -> str:
    if value is None:
        return default
    if value not in MODES:
        raise aws_error("InvalidFileModeException", f"The file mode {value} is not valid")
    return MODES[value]


def _folders_of(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def check_parent(repo: Path, branch: str, parent: str | None) -> str | None:
    """The branch's tip, after CodeCommit's parent-commit rules (CreateCommit, PutFile):

    - the branch exists and no parent is given: ParentCommitIdRequiredException;
    - the parent is not a commit id: InvalidParentCommitIdException; no such commit:
      ParentCommitDoesNotExistException; not the branch's tip: ParentCommitIdOutdatedException;
    - the branch does not exist: in an empty repository it is created (no parent allowed, none
      exists), elsewhere BranchDoesNotExistException.
    """
    tip = branch_tip(repo, branch)
    if parent is not None and not HEX_ID.match(parent):
        raise aws_error(
            "InvalidParentCommitIdException", f"The parent commit ID {parent} is not valid"
        )
    if tip is None:
        if branches(repo):
            raise aws_error("BranchDoesNotExistException", f"The branch {branch} does not exist")
        if parent is not None:
            raise aws_error(
                "ParentCommitDoesNotExistException", f"The parent commit ID {parent} does not exist"
            )
        return None
    if parent is None:
        raise aws_error(
            "ParentCommitIdRequiredException",
            f"A parent commit ID is required: the branch {branch} already has commits",
        )
    resolved = resolve_commit(repo, parent)
    if resolved is None:
        raise aws_error(
            "ParentCommitDoesNotExistException", f"The parent commit ID {parent} does not exist"
        )
    if resolved != tip:
        raise aws_error(
            "ParentCommitIdOutdatedException",
            f"The parent commit ID {parent} is not the tip of the branch {branch}",
        )
    return tip


def write_commit(
    repo: Path,
    branch: str,
    parent: str | None,
    change: Change,
    message: str,
    name: str,
    email: str,
) -> Written:
    """Applies a change on top of the branch's tip and moves the branch to the new commit."""
    tip = check_parent(repo, branch, parent)
    if not (change.put or change.delete or change.modes):
        raise aws_error(
            "FileEntryRequiredException",
            "No files have been specified as added, updated, or changed for the commit",
        )
    if len(change.put) + len(change.delete) + len(change.modes) > MAX_FILE_ENTRIES:
        raise aws_error(
            "MaximumFileEntriesExceededException",
            f"A commit can add, update or delete at most {MAX_FILE_ENTRIES} files",
        )
    before = tree_entries(repo, tip)
    files = dict(before)
    touched: set[str] = set()

    def claim(path: str) -> None:
        # "The commit cannot be created because one or more files specified in the commit
        # reference both a file and a folder" / the same path appears in more than one entry.
        if path in touched:
            raise aws_error(
                "PutFileEntryConflictException",
                f"The path {path} is specified more than once in the request",
            )
        touched.add(path)

    for entry in change.delete:
        path = normalize_path(entry)
        claim(path)
        if path not in files:
            raise aws_error("FileDoesNotExistException", f"The file {path} does not exist")
        del files[path]
    for entry in change.put:
        path = normalize_path(entry.get("filePath"))
        claim(path)
        content = entry.get("fileContent")
        source = entry.get("sourceFile")
        if content is not None and source is not None:
            raise aws_error(
                "FileContentAndSourceFileSpecifiedException",
                "A file entry cannot have both fileContent and sourceFile",
            )
        if content is None and source is None:
            raise aws_error(
                "SourceFileOrContentRequiredException",
                f"The file {path} needs either fileContent or sourceFile",
            )
        previous = files.get(path)
        default_mode = previous.mode if previous else "100644"
        if source is not None:
            source_path = normalize_path(source.get("filePath"))
            original = before.get(source_path)
            if original is None:
                raise aws_error(
                    "FileDoesNotExistException", f"The file {source_path} does not exist"
                )
            if source_path == path:
                raise aws_error(
                    "SamePathRequestException", "The source and destination paths are the same"
                )
            blob = original.object_id
            default_mode = original.mode
            if source.get("isMove"):
                claim(source_path)
                files.pop(source_path, None)
        else:
            if isinstance(content, str):
                content = content.encode()
            if len(content) > MAX_FILE_BYTES:
                raise aws_error(
                    "FileContentSizeLimitExceededException", "A file can be at most 6 MB"
                )
            blob = write_blob(repo, content)
        files[path] = Entry(_mode(entry.get("fileMode"), default_mode), "blob", blob)
    for entry in change.modes:
        path = normalize_path(entry.get("filePath"))
        if not entry.get("fileMode"):
            raise aws_error("FileModeRequiredException", f"A file mode is required for {path}")
        if path not in files:
            raise aws_error("FileDoesNotExistException", f"The file {path} does not exist")
        current = files[path]
        files[path] = Entry(_mode(entry["fileMode"]), current.type, current.object_id)

    _check_file_folder_conflicts(files, touched)
    if change.keep_empty_folders:
        # A folder left without files keeps an empty .gitkeep, as CodeCommit does
        # (CreateCommit, keepEmptyFolders).
        remaining = {f for p in files for f in _folders_of(p)}
        for path in before:
            if path not in files:
                for folder in _folders_of(path):
                    if folder not in remaining:
                        files[f"{folder}/.gitkeep"] = Entry("100644", "blob", write_blob(repo, b""))
                        remaining.update(_folders_of(f"{folder}/.gitkeep"))

    tree = write_tree(repo, files) if files else empty_tree(repo)
    if tip is not None and tree == _out(repo, "rev-parse", f"{tip}^{{tree}}"):
        raise aws_error(
            "NoChangeException",
            "The commit cannot be created because no changes will be made to the repository as "
            "a result of this commit",
        )
    commit = commit_tree(repo, tree, tip, message, name, email)
    if not move_ref(repo, f"refs/heads/{branch}", commit, tip):
        raise aws_error(
            "ParentCommitIdOutdatedException",
            f"The branch {branch} moved while the commit was written; use its new tip as parent",
        )
    ensure_default_branch(repo)

    def meta(path: str, e: Entry) -> dict:
        return {
            "absolutePath": path,
            "blobId": e.object_id,
            "fileMode": MODE_NAMES.get(e.mode, "NORMAL"),
        }

    added = [meta(p, e) for p, e in sorted(files.items()) if p not in before]
    updated = [
        meta(p, e)
        for p, e in sorted(files.items())
        if p in before and (before[p].object_id, before[p].mode) != (e.object_id, e.mode)
    ]
    deleted = [meta(p, e) for p, e in sorted(before.items()) if p not in files]
    return Written(commit, tree, added, updated, deleted, tip, tip is None)


def _check_file_folder_conflicts(files: dict[str, Entry], touched: set[str]) -> None:
    folders = {f for p in files for f in _folders_of(p)}
    for path in touched:
        if path in files and path in folders:
            raise aws_error(
                "FileNameConflictsWithDirectoryNameException",
                f"The file name {path} is the name of a folder in the repository",
            )
        for folder in _folders_of(path):
            if folder in files:
                raise aws_error(
                    "DirectoryNameConflictsWithFileNameException",
                    f"The folder {folder} is the name of a file in the repository",
                )


# ------------------------------------------------------------------------------------------------
# The pipeline executor's view: a branch's commit as a source revision


@dataclass
class SourceRevision:
    """A commit a CodeCommit source action fetched (what its output artifact and variables hold)."""

    repository_path: Path
    repository_name: str
    repository_id: str
    branch: str
    commit_id: str
    commit_message: str
    author_date: str  # ISO 8601, UTC (the source action's AuthorDate variable)

    def zip_bytes(self) -> bytes:
        """The commit's tree as a ZIP (CodePipeline's default CODE_ZIP output artifact)."""
        return run_git(self.repository_path, "archive", "--format=zip", self.commit_id).stdout


def source_revision(
    account_id: str,
    region: str,
    repository_name: str,
    branch: str,
    commit_id: str | None = None,
) -> SourceRevision:
    """The commit a CodeCommit source action takes: the branch's tip, or ``commit_id`` (a
    ``sourceRevisions`` override) when given.

    Raises AWS-shaped errors: RepositoryDoesNotExistException, BranchDoesNotExistException,
    CommitDoesNotExistException.
    """
    from datetime import datetime, timezone

    from .codecommit import git_repository

    found = git_repository(account_id, region, repository_name)
    repo, repository_id = found.path, found.id
    if commit_id:
        resolved = resolve_commit(repo, commit_id)
        if resolved is None:
            raise aws_error("CommitDoesNotExistException", f"The commit {commit_id} does not exist")
    else:
        resolved = branch_tip(repo, branch)
        if resolved is None:
            raise aws_error("BranchDoesNotExistException", f"The branch {branch} does not exist")
    info = read_commit(repo, resolved)
    seconds = int(info.author.date.split(" ")[0]) if info.author.date else 0
    date = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return SourceRevision(
        repository_path=repo,
        repository_name=repository_name,
        repository_id=repository_id,
        branch=branch,
        commit_id=resolved,
        commit_message=info.message.rstrip("\n"),
        author_date=date,
    )
