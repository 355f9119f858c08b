"""The buildspec, parsed and checked (pure: no LocalStack, no process).

AWS's reference: "Build specification reference for CodeBuild",
https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html. What is read:

- ``version``: ``0.1`` or ``0.2`` (required). 0.2 runs every command of the build in one shell
  instance; 0.1 runs each command in its own (``cd``/``export`` do not carry over).
- ``env``: ``shell``, ``variables``, ``parameter-store``, ``secrets-manager`` (maps of name to
  scalar), ``exported-variables`` (a list of names), ``git-credential-helper``.
- ``phases``: ``install``, ``pre_build``, ``build``, ``post_build``; each with ``commands``,
  ``finally`` (lists of commands), ``on-failure`` (``ABORT`` or ``CONTINUE``), ``run-as``, and
  ``runtime-versions`` in ``install`` only.
- ``artifacts``: ``files``, ``name``, ``base-directory``, ``discard-paths``, ``exclude-paths``,
  ``enable-symlinks``, ``s3-prefix``, ``secondary-artifacts`` (by artifact identifier).
- ``reports``: by report group name or ARN: ``files``, ``base-directory``, ``discard-paths``,
  ``file-format``.
- ``cache``: ``paths``, ``key``... (read only to be reported as not honoured).

A buildspec that is not YAML, or whose keys have the wrong shape, raises ``BuildSpecError``:
the build fails in ``DOWNLOAD_SOURCE`` with the status code ``YAML_FILE_ERROR``, as CodeBuild's
does, and the message says where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PHASES = ("install", "pre_build", "build", "post_build")
VERSIONS = ("0.1", "0.2")
SHELLS = ("bash", "/bin/sh", "sh")
ON_FAILURE = ("ABORT", "CONTINUE")

# report file formats (buildspec reference, reports/file-format).
TEST_FORMATS = ("JUNITXML", "CUCUMBERJSON", "NUNITXML", "NUNIT3XML", "TESTNGXML", "VISUALSTUDIOTRX")
COVERAGE_FORMATS = ("CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV")


class BuildSpecError(ValueError):
    """The buildspec is malformed; ``str(e)`` is the phase context's message."""


@dataclass
class Phase:
    name: str
    commands: list[str] = field(default_factory=list)
    finally_: list[str] = field(default_factory=list)
    on_failure: str = "ABORT"
    run_as: str | None = None
    runtime_versions: dict[str, str] = field(default_factory=dict)


@dataclass
class ArtifactSpec:
    files: list[str] = field(default_factory=list)
    name: str | None = None
    base_directory: str | None = None
    discard_paths: bool = False
    exclude_paths: list[str] = field(default_factory=list)
    s3_prefix: str | None = None


@dataclass
class ReportSpec:
    name: str
    files: list[str]
    base_directory: str | None = None
    discard_paths: bool = False
    file_format: str = "JUNITXML"

    @property
    def kind(self) -> str:
        """The report group type: ``TEST`` or ``CODE_COVERAGE``."""
        return "CODE_COVERAGE" if self.file_format in COVERAGE_FORMATS else "TEST"


@dataclass
class BuildSpec:
    version: str
    shell: str = "/bin/sh"
    variables: dict[str, str] = field(default_factory=dict)
    parameter_store: dict[str, str] = field(default_factory=dict)
    secrets_manager: dict[str, str] = field(default_factory=dict)
    exported_variables: list[str] = field(default_factory=list)
    phases: dict[str, Phase] = field(default_factory=dict)
    artifacts: ArtifactSpec | None = None
    secondary_artifacts: dict[str, ArtifactSpec] = field(default_factory=dict)
    reports: list[ReportSpec] = field(default_factory=list)
    cache_paths: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # settings a host cannot honour, said in logs


def is_inline(buildspec: str) -> bool:
    """Whether a project's ``buildspec`` value is the buildspec itself or a path in the source.

    ProjectSource.buildspec (API reference) is an inline definition, a path relative to
    ``CODEBUILD_SRC_DIR`` or an S3 ARN; a definition has several lines or is JSON on one.
    """
    text = buildspec.strip()
    return "\n" in text or text.startswith("{") or text.startswith("version:")


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (str, int, float)):
        return str(value)
    if value is None:
        return ""
    raise BuildSpecError(f"Expected {where} to be of string type: found subkeys instead")


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [str(value)]
    if not isinstance(value, list):
        raise BuildSpecError(f"Expected {where} to be a list of strings")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, (dict, list)):
            raise BuildSpecError(
                f"Expected {where}[{i}] to be of string type: found subkeys instead"
            )
        out.append(_scalar(item, f"{where}[{i}]"))
    return out


def _mapping(value: Any, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BuildSpecError(f"Expected {where} to be a map")
    return value


def _yes(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).lower()
    if text in ("yes", "true"):
        return True
    if text in ("no", "false"):
        return False
    raise BuildSpecError(f"Invalid value {value!r} for {where}: expected yes or no")


def _artifact(value: Any, where: str) -> ArtifactSpec:
    data = _mapping(value, where)
    files = _strings(data.get("files"), f"{where}.files")
    if not files:
        raise BuildSpecError(f"{where}: files is required")
    return ArtifactSpec(
        files=files,
        name=None if data.get("name") is None else _scalar(data["name"], f"{where}.name"),
        base_directory=(
            None
            if data.get("base-directory") is None
            else _scalar(data["base-directory"], f"{where}.base-directory")
        ),
        discard_paths=_yes(data.get("discard-paths"), f"{where}.discard-paths"),
        exclude_paths=_strings(data.get("exclude-paths"), f"{where}.exclude-paths"),
        s3_prefix=data.get("s3-prefix"),
    )


def _text_loader():
    """A safe YAML loader that keeps every plain scalar as the text it is written as (``null``
    aside): CodeBuild reads a buildspec into strings, so ``- true`` is the command ``true`` and
    ``FLAG: yes`` the value ``yes``, never a boolean turned back into other words."""
    import yaml

    class TextLoader(yaml.SafeLoader):
        pass

    TextLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return TextLoader


def load_yaml(text: str) -> Any:
    """YAML (JSON included) to data; a syntax error is a ``BuildSpecError`` naming the line."""
    import yaml

    try:
        return yaml.load(text, Loader=_text_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BuildSpecError(f"{problem}{where}") from None


def parse(text: str) -> BuildSpec:
    """The buildspec of ``text``, checked; ``BuildSpecError`` says what is wrong."""
    return from_data(load_yaml(text))


def from_data(data: Any) -> BuildSpec:
    if not isinstance(data, dict):
        raise BuildSpecError("Expected the buildspec to be a map of keys (version, phases...)")
    if "version" not in data:
        raise BuildSpecError("missing required version key")
    version = _scalar(data["version"], "version")
    if version not in VERSIONS:
        raise BuildSpecError(f"invalid buildspec version: {version}; expected 0.1 or 0.2")
    spec = BuildSpec(version=version)

    env = _mapping(data.get("env"), "env")
    if env.get("shell") is not None:
        shell = _scalar(env["shell"], "env.shell")
        if shell not in SHELLS:
            raise BuildSpecError(f"Unsupported shell {shell!r}: expected bash or /bin/sh")
        spec.shell = "bash" if shell == "bash" else "/bin/sh"
    for key, attr in (
        ("variables", "variables"),
        ("parameter-store", "parameter_store"),
        ("secrets-manager", "secrets_manager"),
    ):
        values = _mapping(env.get(key), f"env.{key}")
        setattr(
            spec,
            attr,
            {str(name): _scalar(value, f"env.{key}.{name}") for name, value in values.items()},
        )
    spec.exported_variables = _strings(env.get("exported-variables"), "env.exported-variables")

    phases = _mapping(data.get("phases"), "phases")
    for name, body in phases.items():
        if name not in PHASES:
            raise BuildSpecError(
                f"Unknown phase {name!r}: expected one of install, pre_build, build, post_build"
            )
        body = _mapping(body, f"phases.{name}")
        phase = Phase(name=name)
        phase.commands = _strings(body.get("commands"), f"phases.{name}.commands")
        phase.finally_ = _strings(body.get("finally"), f"phases.{name}.finally")
        if body.get("on-failure") is not None:
            on_failure = _scalar(body["on-failure"], f"phases.{name}.on-failure")
            if on_failure not in ON_FAILURE:
                raise BuildSpecError(
                    f"Invalid on-failure value {on_failure!r} in phase {name}: "
                    "expected ABORT or CONTINUE"
                )
            phase.on_failure = on_failure
        if body.get("run-as") is not None:
            phase.run_as = _scalar(body["run-as"], f"phases.{name}.run-as")
            spec.unused.append(f"run-as {phase.run_as} in phase {name}")
        if "runtime-versions" in body:
            if name != "install":
                raise BuildSpecError(
                    f"runtime-versions is only valid in the install phase, found in {name}"
                )
            runtimes = _mapping(body["runtime-versions"], "phases.install.runtime-versions")
            phase.runtime_versions = {str(k): _scalar(v, k) for k, v in runtimes.items()}
            if runtimes:
                listed = ", ".join(f"{k} {v}" for k, v in phase.runtime_versions.items())
                spec.unused.append(f"runtime-versions ({listed})")
        spec.phases[name] = phase

    if data.get("artifacts") is not None:
        artifacts = _mapping(data["artifacts"], "artifacts")
        secondary = _mapping(artifacts.get("secondary-artifacts"), "artifacts.secondary-artifacts")
        for ident, body in secondary.items():
            spec.secondary_artifacts[str(ident)] = _artifact(
                body, f"artifacts.secondary-artifacts.{ident}"
            )
        if artifacts.get("files") is not None or not secondary:
            spec.artifacts = _artifact(artifacts, "artifacts")

    reports = _mapping(data.get("reports"), "reports")
    if len(reports) > 5:
        raise BuildSpecError("A buildspec can name at most 5 report groups")
    for name, body in reports.items():
        body = _mapping(body, f"reports.{name}")
        files = _strings(body.get("files"), f"reports.{name}.files")
        if not files:
            raise BuildSpecError(f"reports.{name}: files is required")
        file_format = _scalar(body.get("file-format") or "JUNITXML", f"reports.{name}.file-format")
        if file_format not in TEST_FORMATS + COVERAGE_FORMATS:
            raise BuildSpecError(f"Invalid report file format {file_format!r} for report {name}")
        spec.reports.append(
            ReportSpec(
                name=str(name),
                files=files,
                base_directory=body.get("base-directory"),
                discard_paths=_yes(body.get("discard-paths"), f"reports.{name}.discard-paths"),
                file_format=file_format,
            )
        )

    cache = _mapping(data.get("cache"), "cache")
    spec.cache_paths = _strings(cache.get("paths"), "cache.paths")
    if spec.cache_paths:
        spec.unused.append("cache paths " + ", ".join(spec.cache_paths))
    return spec
