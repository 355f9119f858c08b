"""The AppSpec file of an EC2/on-premises revision, checked as the CodeDeploy agent checks it.

AWS's rules: the AppSpec File reference
(https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html and its
``reference-appspec-file-structure-*`` pages): a YAML file named ``appspec.yml`` at the root of the
revision, ``version: 0.0``, ``os`` ``linux`` or ``windows``, ``files`` as ``source``/``destination``
pairs, ``hooks`` per lifecycle event as lists of scripts with ``location`` and an optional
``timeout`` (seconds, default 3600). The messages are the agent's own (its
``application_specification`` classes and ``hook_executor``), so a user meets locally the words
the deployment's lifecycle event shows on AWS.

Pure: no LocalStack, no moto; only PyYAML, which LocalStack itself depends on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

APPSPEC_NAMES = ("appspec.yml", "appspec.yaml")
HELP_URL = "http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html"
DEFAULT_TIMEOUT = 3600

# Lifecycle events of an in-place deployment without a load balancer, in the order CodeDeploy
# runs them ("AppSpec 'hooks' section", list of lifecycle event hooks for EC2/on-premises).
# DownloadBundle and Install are the agent's own: they cannot have scripts.
LIFECYCLE_EVENTS = (
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
)
AGENT_EVENTS = ("DownloadBundle", "Install")


class AppSpecError(Exception):
    """The AppSpec file is missing or invalid; ``str(error)`` is the agent's message."""


@dataclass(frozen=True)
class Script:
    location: str
    timeout: int = DEFAULT_TIMEOUT
    runas: str | None = None


@dataclass(frozen=True)
class FileMapping:
    source: str
    destination: str


@dataclass(frozen=True)
class AppSpec:
    version: float
    os: str
    files: tuple[FileMapping, ...] = ()
    hooks: dict[str, tuple[Script, ...]] = field(default_factory=dict)


def find(archive_dir: Path) -> Path:
    """The AppSpec file at the root of an unpacked revision, or the agent's error."""
    for name in APPSPEC_NAMES:
        candidate = archive_dir / name
        if candidate.is_file():
            return candidate
    expected = archive_dir / APPSPEC_NAMES[0]
    raise AppSpecError(
        "The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory "
        f'at revision-relative path "{APPSPEC_NAMES[0]}". The revision was unpacked to directory '
        f'"{archive_dir}", and the AppSpec file was expected but not found at path "{expected}". '
        f"Consult the AWS CodeDeploy Appspec documentation for more information at {HELP_URL}"
    )


def parse(text: str) -> AppSpec:
    """Parses and checks an AppSpec file's text; raises ``AppSpecError`` with the agent's words."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as e:
        # The agent's YAML parser fails the event with the parser's own message.
        raise AppSpecError(f"(<unknown>): {_one_line(e)}") from e
    if not isinstance(document, dict):
        raise AppSpecError(
            "The deployment failed because the application specification file is not a YAML "
            "mapping. Make sure the AppSpec file holds the version, os, files and hooks "
            "sections, and then try again."
        )
    version = document.get("version")
    # YAML reads `0.0` as the number 0.0; the string "0.0" is refused, as by the agent.
    if isinstance(version, bool) or not isinstance(version, (int, float)) or version != 0.0:
        raise AppSpecError(
            "The deployment failed because an invalid version value "
            f"({_ruby(version)}) was entered in the application specification file. Make sure "
            'your AppSpec file specifies "0.0" as the version, and then try again.'
        )
    os_name = document.get("os")
    if os_name not in ("linux", "windows"):
        raise AppSpecError(
            "The deployment failed because the application specification file specifies an "
            f'unsupported operating system ({_ruby(os_name)}). Specify either "linux" or '
            '"windows" in the os section of the AppSpec file, and then try again.'
        )
    hooks = _hooks(document.get("hooks") or {})
    files = _files(document.get("files") or [])
    for permission in document.get("permissions") or []:
        if not isinstance(permission, dict) or permission.get("object") is None:
            raise AppSpecError(
                "The deployment failed because a permission listed in the application "
                "specification file has no object value. Update the permissions section of the "
                "AppSpec file, and then try again."
            )
    return AppSpec(version=float(version), os=os_name, files=files, hooks=hooks)


def _hooks(section: object) -> dict[str, tuple[Script, ...]]:
    if not isinstance(section, dict):
        raise AppSpecError(
            "The deployment failed because the hooks section of the application specification "
            "file is not a mapping of lifecycle events to scripts. Make corrections in the hooks "
            "section of the AppSpec file, and then try again."
        )
    hooks: dict[str, tuple[Script, ...]] = {}
    for event, scripts in section.items():
        parsed = []
        for script in scripts or []:
            location = script.get("location") if isinstance(script, dict) else None
            if location is None or not str(location).strip():
                raise AppSpecError(
                    "The deployment failed because the application specification file specifies "
                    "a script with no location value. Specify the location in the hooks section "
                    "of the AppSpec file, and then try again."
                )
            timeout = script.get("timeout")
            seconds = DEFAULT_TIMEOUT if timeout is None else _to_i(timeout)
            if seconds <= 0:
                raise AppSpecError(
                    "The deployment failed because an invalid timeout value was provided for a "
                    "script in the application specification file. Make corrections in the hooks "
                    "section of the AppSpec file, and then try again."
                )
            runas = script.get("runas")
            parsed.append(
                Script(
                    location=str(location).strip(),
                    timeout=seconds,
                    runas=None if runas is None else str(runas).strip(),
                )
            )
        hooks[str(event)] = tuple(parsed)
    return hooks


def _files(section: object) -> tuple[FileMapping, ...]:
    if not isinstance(section, list):
        raise AppSpecError(
            "The deployment failed because the files section of the application specification "
            "file is not a list of source and destination pairs. Update the files section of the "
            "AppSpec file, and then try again."
        )
    files = []
    for mapping in section:
        mapping = mapping if isinstance(mapping, dict) else {}
        source, destination = mapping.get("source"), mapping.get("destination")
        if source is None:
            raise AppSpecError(
                "The deployment failed because the application specification file specifies a "
                "destination file, but no source file. Update the files section of the AppSpec "
                "file, and then try again."
            )
        if destination is None:
            raise AppSpecError(
                "The deployment failed because the application specification file specifies "
                f"only a source file ({source}). Add the name of the destination file to the "
                "files section of the AppSpec file, and then try again."
            )
        files.append(FileMapping(str(source), str(destination)))
    return tuple(files)


def missing_sources(spec: AppSpec, archive_dir: Path) -> list[str]:
    """The ``files`` sources absent from the unpacked revision, as absolute paths (the agent's
    Install copies ``<archive>/<source>`` and fails on the first that is not there)."""
    missing = []
    for mapping in spec.files:
        path = source_path(archive_dir, mapping.source)
        if not path.exists() and not path.is_symlink():
            missing.append(str(path))
    return missing


def source_path(archive_dir: Path, source: str) -> Path:
    """``File.join(archive, source)``: a leading ``/`` names the revision's root."""
    relative = source.lstrip("/\\")
    return archive_dir / relative if relative else archive_dir


def script_missing_message(location: str) -> str:
    return f"Script does not exist at specified location: {location}"


def _to_i(value: object) -> int:
    """Ruby's ``to_i``: leading digits of a string, 0 when there are none."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    digits = ""
    for i, char in enumerate(str(value).strip()):
        if char.isdigit() or (i == 0 and char in "+-"):
            digits += char
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _ruby(value: object) -> str:
    """How the agent's Ruby interpolates a value in its messages (nil prints as nothing)."""
    return "" if value is None else str(value)


def _one_line(error: yaml.YAMLError) -> str:
    return " ".join(str(error).split())
