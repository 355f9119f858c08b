"""Runs one build on the host: workspace, environment, the buildspec's phases, artifacts, reports.

Follows CodeBuild's user guide: "Build specification reference" (build-spec-ref: phases,
``finally``, ``on-failure``, one shell instance for version 0.2), "Build phase transitions"
(view-build-details-phases: a failure before ``BUILD`` ends the build through ``FINALIZING``; a
``BUILD`` failure still runs ``POST_BUILD``; ``UPLOAD_ARTIFACTS`` is always attempted after
``BUILD``), "Environment variables in build environments" (build-env-ref-env-vars) and the
``Build`` / ``BuildPhase`` / ``PhaseContext`` shapes of the API reference.

Nothing here imports LocalStack: what a build reads and writes elsewhere (the artifact store, SSM,
Secrets Manager, CloudWatch Logs, report groups) goes through a ``Services`` object, so the runner
is tested on its own with a fake one. The record a build updates (``Build.doc``, the AWS-shaped
document BatchGetBuilds returns) is guarded by the build's own lock, never a store's.

Security: the user's commands run on the host, like CodeBuild runs them in its container. The
workspace, ``HOME`` and ``TMPDIR`` are folders of the build under the emulator's state folder; the
environment is made from scratch (a fixed ``PATH``, the build's variables, the emulator's endpoint
and test credentials), so nothing of the host's environment (AWS credentials, ``HOME``, SSH
agent...) reaches the build, and no path outside the state folder but the system's: the host's
toolchain comes through links in the build's folder. Each build's shell leads its own process
group (a new session): a timeout, StopBuild or the emulator's shutdown kill the whole group.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from . import artifacts as artifact_files
from .buildspec import BuildSpec, BuildSpecError, is_inline, parse

LOG = logging.getLogger(__name__)

SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOG_FLUSH_SECONDS = 0.1

# What CodeBuild hides in its logs ("Data protection in AWS CodeBuild", data-protection.html):
# AWS access key IDs, and the strings given by Parameter Store and by Secrets Manager variables
# (project variables or the buildspec's env/parameter-store, env/secrets-manager). Each is
# replaced by ``***`` wherever it appears in a line, the "Running command" lines included.
MASK = "***"
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")

# What one build may store in CloudWatch Logs, in bytes of message text
# (``PIPEWRIGHT_BUILD_LOG_MB``, default 16 MB): past it the build runs on, its output is read and
# dropped, and one line says so. An endless printer must not fill the emulator's memory.
LOG_LIMIT_BYTES = int(float(os.environ.get("PIPEWRIGHT_BUILD_LOG_MB") or 16) * 1024 * 1024)


def secret_fragments(value: str) -> list[str]:
    """What masking a secret value hides: the value, and each line of a value of several lines.

    A build log is read line by line, so a secret of several lines (a PEM key, pretty JSON) is
    hidden line by line too; blank lines and lines of one or two characters (``{``, ``}``) are
    not worth hiding and would mask every brace of the log.
    """
    if not value:
        return []
    found = [value]
    if "\n" in value:
        found.extend(line.strip() for line in value.splitlines() if len(line.strip()) > 2)
    return found


def mask(text: str, secrets: list[str]) -> str:
    """``text`` with every secret (longest first) and AWS access key ID replaced by ``***``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _ACCESS_KEY_ID.sub(MASK, text)


def now() -> datetime:
    return datetime.now(tz=timezone.utc)


class Services(Protocol):
    """What a build uses outside its process (the emulator's S3, SSM, Secrets Manager, logs)."""

    def get_object(self, bucket: str, key: str) -> bytes: ...

    def put_object(self, bucket: str, key: str, body: bytes) -> None: ...

    def kms_key_exists(self, key: str) -> bool: ...

    def codecommit_zip(self, location: str, version: str | None) -> tuple[bytes, str]: ...

    def parameter(self, name: str) -> str: ...

    def secret(self, reference: str) -> str: ...

    def put_log_events(self, group: str, stream: str, events: list[dict]) -> None: ...

    def save_reports(self, build: Build, reports: list[dict]) -> list[str]: ...


class VariableError(Exception):
    """A PARAMETER_STORE or SECRETS_MANAGER value cannot be read: (status code, message)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(eq=False)  # identity: a build is one running thing
class Build:
    """One build: its request (what to run) and its AWS-shaped record."""

    id: str
    doc: dict
    account_id: str
    region: str
    project: dict
    sources: list[dict]  # [{identifier or None, type, location, version}] primary first
    outputs: list[dict]  # [{identifier or None, type, bucket, key}] primary first
    variables: list[dict]  # start-build overrides, [{name, value, type}]
    buildspec_override: str | None
    timeout_seconds: float
    endpoint: str
    root: Path  # the build's own folder under the state folder
    lock: threading.RLock = field(default_factory=threading.RLock)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    process: subprocess.Popen | None = None
    done: threading.Event = field(default_factory=threading.Event)
    request: dict = field(default_factory=dict)  # what RetryBuild starts again

    @property
    def uuid(self) -> str:
        return self.id.split(":", 1)[1]

    def snapshot(self) -> dict:
        import copy

        with self.lock:
            return copy.deepcopy(self.doc)

    def stop(self) -> None:
        """StopBuild: the running shell's process group ends; a queued build never starts."""
        self.stop_requested.set()
        kill_group(self.process)


def kill_group(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# Every build's process, so the emulator's shutdown can end them (``shutdown``).
_LIVE: set[Build] = set()
_LIVE_LOCK = threading.Lock()
_SHUTTING_DOWN = threading.Event()


def shutdown() -> None:
    """Kills every running build's process group (the emulator is stopping)."""
    _SHUTTING_DOWN.set()
    with _LIVE_LOCK:
        builds = list(_LIVE)
    for build in builds:
        build.stop()


@dataclass
class _Outcome:
    ok: bool
    status: str = "SUCCEEDED"  # the phase's status
    code: str = ""
    message: str = ""


class _Ended(Exception):
    """The build was stopped or timed out: the running phase ends with ``status``."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


# The toolchain the host provides in place of the build image, found once.
_TOOLCHAIN: list[Path] | None = None


def host_toolchain() -> list[Path]:
    """The host's Rust tools that stand in for the image's: the toolchain's binaries, if any.

    ``rustc --print sysroot`` names the real toolchain (not rustup's proxies, which need the
    host's HOME and RUSTUP_HOME); its ``bin`` has ``cargo`` and ``rustc``. A build never sees
    these paths: it gets links to them in a folder of its own (``toolchain_links``).
    """
    global _TOOLCHAIN
    if _TOOLCHAIN is None:
        import pwd

        found: list[Path] = []
        # The launcher gives LocalStack a HOME of its own; rustup's proxies find their toolchains
        # under the user's real one. Run from "/" so that no rust-toolchain file chooses.
        home = pwd.getpwuid(os.getuid()).pw_dir
        rustc = shutil.which("rustc") or shutil.which("rustc", path=f"{home}/.cargo/bin")
        if rustc:
            try:
                sysroot = subprocess.run(
                    [rustc, "--print", "sysroot"],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=True,
                    cwd="/",
                    env={**os.environ, "HOME": home},
                ).stdout.strip()
                bin_dir = Path(sysroot) / "bin" if sysroot else None
                if bin_dir is not None and (bin_dir / "cargo").exists():
                    found = sorted(
                        p for p in bin_dir.iterdir() if p.is_file() and os.access(p, os.X_OK)
                    )
            except (OSError, subprocess.SubprocessError):
                pass
        _TOOLCHAIN = found
    return _TOOLCHAIN


def toolchain_links(folder: Path, tools: list[Path]) -> Path | None:
    """``folder`` made a bin dir of links to ``tools``; None when there is no tool.

    The build's PATH names this folder, inside the build's own, instead of the host's toolchain
    folder (which lies under the host user's HOME, e.g. ``~/.rustup``). The binaries behind the
    links are the host's, read-only to the build in spirit: ``rustc`` finds its standard library
    from where its binary really is, and ``cargo`` runs the ``rustc`` it finds on PATH, so neither
    needs ``RUSTUP_HOME`` or ``CARGO_HOME`` (a build's ``CARGO_HOME`` is its own
    ``$HOME/.cargo``). What rustup does not do here: a ``rust-toolchain.toml`` in the source
    chooses nothing, the host's default toolchain builds.
    """
    if not tools:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        link = folder / tool.name
        if not link.is_symlink():
            link.symlink_to(tool)
    return folder


class _Logs:
    """The build's log: lines buffered, sent to CloudWatch Logs every 0.1 s and at the end."""

    def __init__(
        self, services: Services, group: str | None, stream: str, limit: int | None = None
    ):
        self._services = services
        self._group = group
        self._stream = stream
        self._pending: list[dict] = []
        self._last_flush = time.monotonic()
        self.failed = False
        self.secrets: list[str] = []  # longest first: a secret inside another is masked after it
        self._limit = LOG_LIMIT_BYTES if limit is None else limit
        self._stored = 0
        self.capped = False

    def hide(self, values: list[str]) -> None:
        """Masks these values (a build's PARAMETER_STORE and SECRETS_MANAGER values) from now on."""
        found = {f for value in values for f in secret_fragments(value)}
        self.secrets = sorted(found | set(self.secrets), key=len, reverse=True)

    def line(self, text: str) -> None:
        if self.capped:
            return
        text = mask(text, self.secrets)
        size = len(text.encode("utf-8", "replace"))
        if self._stored + size > self._limit:
            self.capped = True
            stamp = now().strftime("%Y/%m/%d %H:%M:%S.%f")
            text = (
                f"[Container] {stamp} This build's log reached {self._limit} bytes: the rest "
                "of its output is not stored (PIPEWRIGHT_BUILD_LOG_MB)"
            )
        self._stored += size
        stamp = int(time.time() * 1000)
        if self._pending and stamp < self._pending[-1]["timestamp"]:
            stamp = self._pending[-1]["timestamp"]
        self._pending.append({"timestamp": stamp, "message": text})
        if len(self._pending) >= 1000:
            self.flush()

    def container(self, text: str) -> None:
        stamp = now().strftime("%Y/%m/%d %H:%M:%S.%f")
        self.line(f"[Container] {stamp} {text}")

    def maybe_flush(self) -> None:
        if self._pending and time.monotonic() - self._last_flush >= LOG_FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending or self._group is None:
            self._pending = []
            return
        events, self._pending = self._pending, []
        try:
            self._services.put_log_events(self._group, self._stream, events)
        except Exception:  # the build goes on without its log rather than fail on it
            if not self.failed:
                LOG.exception("build log %s/%s", self._group, self._stream)
            self.failed = True


class _Shell:
    """One shell instance for every command of a build (buildspec version 0.2).

    Each command is written to a file and sourced (``. file``), so ``cd`` and ``export`` carry
    over, a syntax error stays inside that command, and a command reading its standard input reads
    ``/dev/null`` rather than what follows. After it, the shell prints a sentinel line with the
    exit status. stdout and stderr share one pipe, so the log keeps their order.
    """

    def __init__(self, build: Build, shell: str, env: dict[str, str], cwd: Path, isolated: bool):
        self.build = build
        self.shell = shell
        self.env = env
        self.cwd = cwd
        self.isolated = isolated  # version 0.1: each command in a subshell of its own
        self.sentinel = f"__pipewright_status_{uuid.uuid4().hex}__"
        self.count = 0
        self.process: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()

    def _spawn(self) -> None:
        argv = ["bash", "--noprofile", "--norc"] if self.shell == "bash" else ["/bin/sh"]
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env=self.env,
            start_new_session=True,
            close_fds=True,
        )
        self.build.process = self.process
        if self.build.stop_requested.is_set():
            kill_group(self.process)
        self.lines = queue.Queue()
        threading.Thread(
            target=self._read, args=(self.process, self.lines), daemon=True, name="build-output"
        ).start()

    @staticmethod
    def _read(process: subprocess.Popen, lines: queue.Queue) -> None:
        assert process.stdout is not None  # made with stdout=PIPE
        for raw in process.stdout:
            lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
        lines.put(None)

    def run(self, command: str, logs: _Logs | None, deadline: float, internal: bool = False) -> int:
        """Runs one command; its exit status. Raises ``_Ended`` on stop or timeout."""
        if self.process is None or self.process.poll() is not None:
            self._spawn()
        self.count += 1
        script = self.build.root / "commands" / f"{self.count}.sh"
        script.write_text(command + "\n")
        source = f". '{script}'"
        if self.isolated and not internal:
            source = f"( {source} )"
        text = f"{source} </dev/null\nprintf '%s %d\\n' '{self.sentinel}' \"$?\"\n"
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(text.encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the shell is gone: its end is read below
        while True:
            if self.build.stop_requested.is_set():
                raise _Ended("STOPPED")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Ended("TIMED_OUT")
            try:
                line = self.lines.get(timeout=min(LOG_FLUSH_SECONDS, remaining))
            except queue.Empty:
                if logs is not None:
                    logs.maybe_flush()
                continue
            if line is None:
                # The shell itself ended (``exit`` in a command): its status is the command's,
                # and the next command gets a new shell.
                status = self.process.wait()
                if self.build.stop_requested.is_set():
                    raise _Ended("STOPPED")
                return status if status > 0 else 1 if status < 0 else status
            at = line.find(self.sentinel)
            if at >= 0:
                before, after = line[:at], line[at + len(self.sentinel) :]
                if before and logs is not None:
                    logs.line(before)
                if logs is not None:
                    logs.maybe_flush()
                try:
                    return int(after.split()[0])
                except (ValueError, IndexError):
                    return 1
            if logs is not None:
                logs.line(line)
                logs.maybe_flush()

    def close(self) -> None:
        # Whatever the commands left running in the background ends with the build, as it would
        # with CodeBuild's container.
        if self.process is not None:
            kill_group(self.process)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass


def build_url(region: str, build_id: str) -> str:
    """The console page of a build (what ``CODEBUILD_BUILD_URL`` and the deep links name)."""
    from urllib.parse import quote

    project = build_id.split(":", 1)[0]
    return (
        f"https://{region}.console.aws.amazon.com/codesuite/codebuild/projects/{project}/build/"
        f"{quote(build_id, safe='')}/?region={region}"
    )


PHASE_ORDER = (
    "SUBMITTED",
    "QUEUED",
    "PROVISIONING",
    "DOWNLOAD_SOURCE",
    "INSTALL",
    "PRE_BUILD",
    "BUILD",
    "POST_BUILD",
    "UPLOAD_ARTIFACTS",
    "FINALIZING",
    "COMPLETED",
)


class Runner:
    """Runs a build to its end (``run``), updating its record as it goes."""

    def __init__(self, build: Build, services: Services):
        self.build = build
        self.services = services
        self.logs: _Logs | None = None
        self.spec: BuildSpec | None = None
        self.env: dict[str, str] = {}
        self.succeeding = True
        self.deadline = time.monotonic() + build.timeout_seconds
        self.src_dir = build.root / "src"
        self.shell: _Shell | None = None
        self.path = ":".join(SYSTEM_PATH)  # with the toolchain's links once provisioned

    # The record.

    def _begin(self, phase: str) -> None:
        with self.build.lock:
            self.build.doc["currentPhase"] = phase
            self.build.doc["phases"].append({"phaseType": phase, "startTime": now()})
        if self.logs is not None and phase not in ("SUBMITTED", "QUEUED", "COMPLETED"):
            self.logs.container(f"Entering phase {phase}")

    def _end(self, outcome: _Outcome) -> None:
        with self.build.lock:
            entry = self.build.doc["phases"][-1]
            entry["phaseStatus"] = outcome.status
            entry["endTime"] = now()
            entry["durationInSeconds"] = int(
                (entry["endTime"] - entry["startTime"]).total_seconds()
            )
            if entry["phaseType"] not in ("SUBMITTED", "QUEUED"):
                entry["contexts"] = [{"statusCode": outcome.code, "message": outcome.message}]
            phase = entry["phaseType"]
        if not outcome.ok:
            self.succeeding = False
        if self.logs is not None and phase not in ("SUBMITTED", "QUEUED"):
            if outcome.code:
                self.logs.container(
                    f"Phase context status code: {outcome.code} Message: {outcome.message}"
                )
            self.logs.container(f"Phase complete: {phase} State: {outcome.status}")
            self.logs.flush()

    def _phase(self, phase: str, work) -> _Outcome:
        self._begin(phase)
        try:
            outcome = work()
        except _Ended:
            raise
        except Exception as e:  # the emulator's own failure is the build's FAULT, said in words
            LOG.exception("build %s, phase %s", self.build.id, phase)
            outcome = _Outcome(False, "FAULT", "CLIENT_ERROR", str(e) or type(e).__name__)
        self._end(outcome)
        return outcome

    # The build.

    def run(self) -> None:
        build = self.build
        with _LIVE_LOCK:
            _LIVE.add(build)
        status = "FAILED"
        try:
            status = self._run()
        except Exception:
            LOG.exception("build %s", build.id)
            status = "FAULT"
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(build)
            if self.shell is not None:
                self.shell.close()
            with build.lock:
                build.doc["buildStatus"] = status
                build.doc["buildComplete"] = True
                build.doc["endTime"] = now()
                build.doc["currentPhase"] = "COMPLETED"
                build.doc["phases"].append({"phaseType": "COMPLETED", "startTime": now()})
            if self.logs is not None:
                self.logs.flush()
            shutil.rmtree(build.root, ignore_errors=True)
            build.done.set()

    def _run(self) -> str:
        build = self.build
        from . import queue_slot

        if not build.doc["phases"]:
            self._begin("SUBMITTED")
        self._end(_Outcome(True))  # SUBMITTED
        self._begin("QUEUED")
        with queue_slot(build):
            if build.stop_requested.is_set() or _SHUTTING_DOWN.is_set():
                self._end(_Outcome(False, "STOPPED"))
                return "STOPPED"
            self._end(_Outcome(True))
            self.deadline = time.monotonic() + build.timeout_seconds
            logs = build.doc.get("logs") or {}
            enabled = (logs.get("cloudWatchLogs") or {}).get("status", "ENABLED") == "ENABLED"
            group = logs.get("groupName") if enabled else None
            self.logs = _Logs(self.services, group, logs.get("streamName") or build.uuid)
            try:
                return self._phases()
            except _Ended as ended:
                outcome = _Outcome(False, ended.status)
                if ended.status == "TIMED_OUT":
                    outcome.code, outcome.message = "BUILD_TIMED_OUT", "Build has timed out. "
                if self.shell is not None:
                    self.shell.close()
                self._end(outcome)
                self._phase("FINALIZING", lambda: _Outcome(True))
                return ended.status

    def _phases(self) -> str:
        if not self._phase("PROVISIONING", self._provision).ok:
            return self._finalize()
        if not self._phase("DOWNLOAD_SOURCE", self._download).ok:
            return self._finalize()
        spec = self.spec
        assert spec is not None  # set by _download when it succeeded
        self.shell = _Shell(
            self.build, spec.shell, self.env, self.src_dir, isolated=spec.version == "0.1"
        )
        for name, phase_type in (("install", "INSTALL"), ("pre_build", "PRE_BUILD")):
            outcome = self._phase(phase_type, lambda n=name: self._commands(n))
            if not outcome.ok and self._aborts(name):
                return self._finalize()
        build_outcome = self._phase("BUILD", lambda: self._commands("build"))
        self._phase("POST_BUILD", lambda: self._commands("post_build"))
        del build_outcome  # a failed build still runs post_build and uploads (transitions)
        self._capture_exports()
        self._phase("UPLOAD_ARTIFACTS", self._upload)
        return self._finalize()

    def _aborts(self, name: str) -> bool:
        assert self.spec is not None
        phase = self.spec.phases.get(name)
        return phase is None or phase.on_failure == "ABORT"

    def _finalize(self) -> str:
        self._phase("FINALIZING", lambda: _Outcome(True))
        return "SUCCEEDED" if self.succeeding else "FAILED"

    # Phases.

    def _provision(self) -> _Outcome:
        build, logs = self.build, self.logs
        assert logs is not None
        for sub in ("src", "home", "tmp", "commands"):
            (build.root / sub).mkdir(parents=True, exist_ok=True)
        environment = build.doc.get("environment") or {}
        logs.container(
            f"Running on the host, not in a container: image {environment.get('image')} "
            f"({environment.get('computeType')}, {environment.get('type')}) is not honoured"
        )
        # The host's toolchain, through links in the build's folder: the log and the build's
        # PATH name only the build's folder and the system's.
        tools = toolchain_links(build.root / "toolchain" / "bin", host_toolchain())
        self.path = ":".join([*SYSTEM_PATH, *([str(tools)] if tools else [])])
        logs.container(
            "Host environment: PATH is "
            + self.path
            + "; "
            + (
                f"the host's Rust toolchain, linked in {tools}, stands in for the image's"
                if tools
                else "no host toolchain is added"
            )
        )
        if environment.get("privilegedMode"):
            logs.container("privilegedMode is not honoured: no Docker daemon runs for the build")
        cache = build.doc.get("cache") or {}
        if cache.get("type") not in (None, "NO_CACHE"):
            logs.container(f"cache ({cache.get('type')}) is not honoured: every build starts cold")
        if build.doc.get("vpcConfig", {}).get("vpcId"):
            logs.container("vpcConfig is not honoured: the build reaches what the host reaches")
        return _Outcome(True)

    def _download(self) -> _Outcome:
        build = self.build
        for source in build.sources:
            ident = source.get("identifier")
            target = self.src_dir if ident is None else build.root / "src2" / ident
            target.mkdir(parents=True, exist_ok=True)
            kind = source["type"]
            if kind == "NO_SOURCE":
                continue
            try:
                if kind in ("CODEPIPELINE", "S3"):
                    bucket, _, key = source["location"].partition("/")
                    body = self.services.get_object(bucket, key)
                elif kind == "CODECOMMIT":
                    body, resolved = self.services.codecommit_zip(
                        source["location"], source.get("version")
                    )
                    if ident is None:
                        with build.lock:
                            build.doc["resolvedSourceVersion"] = resolved
                else:
                    return _Outcome(
                        False, "FAILED", "CLIENT_ERROR", f"source type {kind} is not emulated"
                    )
                artifact_files.extract(body, target)
            except LookupError as e:
                return _Outcome(False, "FAILED", "CLIENT_ERROR", str(e))
            except Exception as e:  # a source that is not a ZIP, an unreachable object
                return _Outcome(False, "FAILED", "CLIENT_ERROR", f"{type(e).__name__}: {e}")

        text = build.buildspec_override or (build.project.get("source") or {}).get("buildspec")
        if not text or not is_inline(text):
            path = self.src_dir / (text or "buildspec.yml")
            if not path.is_file():
                return _Outcome(False, "FAILED", "YAML_FILE_ERROR", "YAML file does not exist")
            text = path.read_text(errors="replace")
        try:
            self.spec = parse(text)
        except BuildSpecError as e:
            return _Outcome(False, "FAILED", "YAML_FILE_ERROR", str(e))
        assert self.logs is not None
        for unused in self.spec.unused:
            self.logs.container(f"{unused}: not honoured on the host, ignored")
        if self.spec.version == "0.1":
            self.logs.container("buildspec version 0.1: each command runs in a shell of its own")
        try:
            self.env = self._environment()
        except VariableError as e:
            return _Outcome(False, "FAILED", e.code, str(e))
        return _Outcome(True)

    def _environment(self) -> dict[str, str]:
        """The build's environment, from scratch (build-env-ref-env-vars).

        Precedence, lowest first: the buildspec's ``env``, the project's variables, the start
        (or pipeline action) overrides. ``CODEBUILD_*`` names are CodeBuild's own.
        """
        build, spec = self.build, self.spec
        assert spec is not None
        doc = build.doc
        declared: dict[str, dict] = {}
        for name, value in spec.variables.items():
            declared[name] = {"name": name, "value": value, "type": "PLAINTEXT"}
        for name, value in spec.parameter_store.items():
            declared[name] = {"name": name, "value": value, "type": "PARAMETER_STORE"}
        for name, value in spec.secrets_manager.items():
            declared[name] = {"name": name, "value": value, "type": "SECRETS_MANAGER"}
        project_env = (build.project.get("environment") or {}).get("environmentVariables") or []
        for variable in [*project_env, *build.variables]:
            declared[variable["name"]] = variable
        user: dict[str, str] = {}
        secrets: list[str] = []
        for name, variable in declared.items():
            kind = variable.get("type") or "PLAINTEXT"
            value = str(variable.get("value", ""))
            if kind == "PARAMETER_STORE":
                value = self.services.parameter(value)
            elif kind == "SECRETS_MANAGER":
                value = self.services.secret(value)
            user[name] = value
            if kind in ("PARAMETER_STORE", "SECRETS_MANAGER"):
                secrets.append(value)
        assert self.logs is not None  # made before the first phase
        self.logs.hide(secrets)

        env = {
            "PATH": self.path,
            "HOME": str(build.root / "home"),
            "TMPDIR": str(build.root / "tmp"),
            "LANG": "C.UTF-8",
            "CI": "true",
            "AWS_REGION": build.region,
            "AWS_DEFAULT_REGION": build.region,
            "AWS_ENDPOINT_URL": build.endpoint,
            # The emulator takes a 12-digit access key as the account id; never a real key.
            "AWS_ACCESS_KEY_ID": build.account_id,
            "AWS_SECRET_ACCESS_KEY": "test",
        }
        env.update({k: v for k, v in user.items() if not k.startswith("CODEBUILD_")})
        source = doc.get("source") or {}
        env.update(
            {
                "CODEBUILD_CI": "true",
                "CODEBUILD_BUILD_ID": build.id,
                "CODEBUILD_BUILD_ARN": doc["arn"],
                "CODEBUILD_BUILD_NUMBER": str(doc["buildNumber"]),
                "CODEBUILD_BUILD_IMAGE": str((doc.get("environment") or {}).get("image", "")),
                "CODEBUILD_INITIATOR": str(doc.get("initiator", "")),
                "CODEBUILD_KMS_KEY_ID": str(doc.get("encryptionKey", "")),
                "CODEBUILD_LOG_PATH": build.uuid,
                "CODEBUILD_PROJECT_ARN": str(build.project.get("arn", "")),
                "CODEBUILD_BUILD_URL": build_url(build.region, build.id),
                "CODEBUILD_SRC_DIR": str(self.src_dir),
                "CODEBUILD_SOURCE_VERSION": str(doc.get("sourceVersion") or ""),
                "CODEBUILD_SOURCE_REPO_URL": str(source.get("location") or ""),
                "CODEBUILD_RESOLVED_SOURCE_VERSION": str(
                    doc.get("resolvedSourceVersion") or doc.get("sourceVersion") or ""
                ),
                "CODEBUILD_START_TIME": str(int(doc["startTime"].timestamp() * 1000)),
                "CODEBUILD_BUILD_SUCCEEDING": "1",
            }
        )
        for source in build.sources[1:]:
            ident = source.get("identifier")
            if ident:
                env[f"CODEBUILD_SRC_DIR_{ident}"] = str(build.root / "src2" / ident)
        return env

    def _commands(self, name: str) -> _Outcome:
        assert self.spec is not None and self.shell is not None and self.logs is not None
        phase = self.spec.phases.get(name)
        # CODEBUILD_BUILD_SUCCEEDING says whether the build is failing so far.
        self._internal(f"export CODEBUILD_BUILD_SUCCEEDING={1 if self.succeeding else 0}")
        if phase is None:
            return _Outcome(True)
        outcome = _Outcome(True)
        for block in (phase.commands, phase.finally_):
            for command in block:
                self.logs.container(f"Running command {command}")
                status = self.shell.run(command, self.logs, self.deadline)
                if status != 0:
                    failed = _Outcome(
                        False,
                        "FAILED",
                        "COMMAND_EXECUTION_ERROR",
                        f"Error while executing command: {command}. Reason: exit status {status}",
                    )
                    if outcome.ok:
                        outcome = failed
                    self.logs.container(
                        f"Command did not exit successfully {command} exit status {status}"
                    )
                    break
            # ``finally`` runs after the commands, even after a failed one.
        return outcome

    def _internal(self, command: str) -> int:
        assert self.shell is not None
        return self.shell.run(command, None, self.deadline, internal=True)

    def _capture_exports(self) -> None:
        assert self.spec is not None and self.shell is not None
        names = [n for n in self.spec.exported_variables if _NAME.match(n)]
        if not names:
            return
        target = self.build.root / "exported"
        printed = " ".join(f'"${{{n}-}}"' for n in names)
        status = self._internal(f"printf '%s\\0' {printed} > '{target}'")
        values = []
        if status == 0 and target.exists():
            values = target.read_bytes().split(b"\0")
        exported = [
            {"name": n, "value": values[i].decode("utf-8", "replace") if i < len(values) else ""}
            for i, n in enumerate(names)
        ]
        with self.build.lock:
            self.build.doc["exportedEnvironmentVariables"] = exported

    def _upload(self) -> _Outcome:
        assert self.spec is not None and self.logs is not None
        spec, build = self.spec, self.build
        if spec.reports:
            self._reports()
        for output in build.outputs:
            if output.get("type") == "NO_ARTIFACTS":
                continue
            # CodeBuild encrypts what it uploads with the build's key (``encryptionKey``, the
            # AWS managed ``alias/aws/s3`` unless the project names one) and fails the upload
            # when that key does not exist ("CLIENT_ERROR: Error in UPLOAD_ARTIFACTS phase:
            # KMS.NotFoundException: Key '<ARN>' does not exist",
            # awsdocs/aws-cloudformation-user-guide#645; see ``kms_keys``).
            key_name = build.doc.get("encryptionKey")
            if (
                key_name
                and not output.get("encryptionDisabled")
                and not self.services.kms_key_exists(key_name)
            ):
                from ..kms_keys import key_arn

                arn = key_arn(key_name, build.account_id, build.region)
                return _Outcome(
                    False,
                    "FAILED",
                    "CLIENT_ERROR",
                    f"KMS.NotFoundException: Key '{arn}' does not exist",
                )
            ident = output.get("identifier")
            if output.get("primary"):
                # With several outputs, each is named after a secondary artifact; the first may
                # also be the buildspec's primary ``artifacts``.
                several = len(build.outputs) > 1 and ident in spec.secondary_artifacts
                chosen = spec.secondary_artifacts[ident] if several else spec.artifacts
                missing = "no matching artifact paths found"
            else:
                chosen = spec.secondary_artifacts.get(ident)
                missing = f"no definition for secondary artifact {ident} in buildspec"
            if chosen is None:
                return _Outcome(False, "FAILED", "CLIENT_ERROR", missing)
            try:
                entries = artifact_files.collect(self.src_dir, chosen)
            except artifact_files.ArtifactError as e:
                return _Outcome(False, "FAILED", "CLIENT_ERROR", str(e))
            bucket, key = output["bucket"], output["key"]
            if output.get("packaging") == "NONE":
                for path, name in entries:
                    self.services.put_object(bucket, f"{key}/{name}".lstrip("/"), path.read_bytes())
            else:
                self.services.put_object(bucket, key, artifact_files.zip_entries(entries))
            self.logs.container(f"Uploaded {len(entries)} file(s) to s3://{bucket}/{key}")
        return _Outcome(True)

    def _reports(self) -> None:
        from . import reports

        assert self.spec is not None and self.logs is not None
        found = []
        for report in self.spec.reports:
            base = self.src_dir / (report.base_directory or "")
            files = artifact_files.select(
                artifact_files.all_files(base) if base.is_dir() else [], report.files, []
            )
            if not files:
                self.logs.container(f"Report {report.name}: no matching report paths found")
                continue
            try:
                parsed = reports.parse_files([base / f for f in files], report.file_format)
            except reports.ReportError as e:
                self.logs.container(f"Report {report.name}: {e}")
                continue
            found.append({"spec": report, "parsed": parsed})
        if found:
            arns = self.services.save_reports(self.build, found)
            with self.build.lock:
                self.build.doc.setdefault("reportArns", []).extend(arns)
