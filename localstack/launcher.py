#!/usr/bin/env python3
"""Starts, finds and stops pipewright's bundled LocalStack (AWS emulator) on loopback.

This file owns the emulator's whole lifecycle and is the only entry point: the repository's
``localstack/start`` and ``localstack/stop`` wrap it, and the Rust library writes it (with
``requirements.lock`` and ``extension/`` beside it) into a state directory and runs it from there.
It uses the standard library only and runs under any Python 3.9 or newer; LocalStack itself runs
in a virtual environment made with Python 3.10 or 3.11.

Usage::

    launcher.py start   [--state-dir DIR] [--instance NAME] [--port N] [--owner-pid PID]
                        [--timeout S] [--run-hooks]
    launcher.py stop    [--state-dir DIR] [--instance NAME | --all] [--timeout S]
    launcher.py status  [--state-dir DIR] [--instance NAME]
    launcher.py install [--state-dir DIR]
    launcher.py instances [--state-dir DIR] [--instance NAME] add --tag KEY=VALUE [--count N]
    launcher.py instances [--state-dir DIR] [--instance NAME] list
    launcher.py instances [--state-dir DIR] [--instance NAME] remove [ID ...] [--tag KEY=VALUE]

``start`` prints exactly one line on standard output, the endpoint (``http://127.0.0.1:PORT``);
every other message goes to standard error. ``status`` prints ``ENDPOINT pid PID`` and exits 0 when
the instance runs, and exits 3 when it does not.

``--run-hooks`` lets CodeDeploy deployments run the AppSpec's hook scripts on this machine (the
emulator's ``PIPEWRIGHT_RUN_HOOKS=1``); without it their lifecycle events are skipped. A start with
``--run-hooks`` replaces a running instance started without it.

``instances`` makes, lists and removes EC2 instances in the running emulator (tagged, for
CodeDeploy deployment groups to find), through the emulator's own Python and boto3
(``pipewright_localstack.local_instances``).

State directory layout (default ``$PIPEWRIGHT_LOCALSTACK_HOME``, else the user cache directory)::

    venv/                       the virtual environment, with .pipewright-fingerprint
    install.log, install.lock   pip's output; the lock serializing installs
    instances/NAME/             pid, endpoint, owners, fingerprint, lock, localstack.log,
                                and LocalStack's own folders data/, cache/, tmp/, home/

Ownership (``--owner-pid``): the instance exits by itself within about a second once every process
that started or reused it with ``--owner-pid`` is gone. A start without ``--owner-pid`` makes the
instance unowned: it then runs until stopped. A start that finds an unowned instance leaves it so.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
LOCK_FILE = HERE / "requirements.lock"
EXTENSION_DIR = HERE / "extension"

DEFAULT_INSTANCE = "default"
DEFAULT_PORT = 4566
LISTEN_HOST = "127.0.0.1"
# LocalStack's vendor API and analytics are pointed here: a loopback port where nothing listens,
# so any attempt fails at once without leaving the machine.
DEAD_ENDPOINT = "http://127.0.0.1:9/v1"
# LocalStack 4.13.1 needs Python 3.10 or 3.11 (4.14+ needs 3.12 syntax and is not used).
SUPPORTED_PYTHONS = ((3, 10), (3, 11))
FINGERPRINT_FILE = ".pipewright-fingerprint"
NOT_RUNNING_EXIT = 3
# Folders of instances that stopped this long ago are removed by the next start: test harnesses
# start one instance per run, and their logs are only worth keeping for a while.
STALE_INSTANCE_SECONDS = 24 * 3600
READY_MARKER = "Ready."
LOG_TAIL_LINES = 30


class LauncherError(Exception):
    """A failure explained to the user; ``main`` prints it and exits non-zero."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Paths


def default_state_dir() -> Path:
    if os.environ.get("PIPEWRIGHT_LOCALSTACK_HOME"):
        return Path(os.environ["PIPEWRIGHT_LOCALSTACK_HOME"])
    if sys.platform == "darwin":
        cache = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        cache = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return cache / "pipewright" / "localstack"


class Instance:
    """The files of one named instance under ``<state>/instances/<name>``."""

    def __init__(self, state_dir: Path, name: str):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", name):
            raise LauncherError(
                f"invalid instance name {name!r}: use letters, digits, '.', '_' or '-'"
            )
        self.name = name
        self.dir = state_dir / "instances" / name
        self.pid_file = self.dir / "pid"
        self.endpoint_file = self.dir / "endpoint"
        self.owners_file = self.dir / "owners"
        self.lock_file = self.dir / "lock"
        self.log_file = self.dir / "localstack.log"
        # The environment fingerprint the running process was started from.
        self.fingerprint_file = self.dir / "fingerprint"
        # Present when the running process runs CodeDeploy hook scripts (``start --run-hooks``).
        self.run_hooks_file = self.dir / "run-hooks"

    def read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def read_endpoint(self) -> str | None:
        try:
            return self.endpoint_file.read_text().strip() or None
        except OSError:
            return None

    def clear_runtime_files(self) -> None:
        for path in (
            self.pid_file,
            self.endpoint_file,
            self.owners_file,
            self.fingerprint_file,
            self.run_hooks_file,
        ):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, what: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``path``, waited for at most ``timeout`` seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LauncherError(f"gave up waiting for another launcher ({what})") from None
                if not announced:
                    say(f"waiting for another launcher ({what})…")
                    announced = True
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------------------------
# The virtual environment


def python_version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def choose_python() -> str:
    """The interpreter the virtual environment is made with.

    ``$PIPEWRIGHT_PYTHON`` if set (and then it must be suitable), else this interpreter when it is
    3.10 or 3.11, else ``python3.11`` or ``python3.10`` from the PATH.
    """
    wanted = " or ".join(f"{major}.{minor}" for major, minor in SUPPORTED_PYTHONS)
    chosen = os.environ.get("PIPEWRIGHT_PYTHON")
    if chosen:
        version = python_version(chosen)
        if version is None:
            raise LauncherError(
                f"PIPEWRIGHT_PYTHON={chosen} cannot be run; LocalStack needs Python {wanted}"
            )
        if version not in SUPPORTED_PYTHONS:
            raise LauncherError(
                f"PIPEWRIGHT_PYTHON={chosen} is Python {version[0]}.{version[1]}; "
                f"LocalStack 4.13 needs Python {wanted}"
            )
        return chosen
    if sys.version_info[:2] in SUPPORTED_PYTHONS:
        return sys.executable
    for name in ("python3.11", "python3.10"):
        found = shutil.which(name)
        if found and python_version(found) in SUPPORTED_PYTHONS:
            return found
    raise LauncherError(
        f"LocalStack needs Python {wanted}, but this is Python {sys.version_info[0]}."
        f"{sys.version_info[1]} and neither python3.11 nor python3.10 is on the PATH; install one, "
        "or set PIPEWRIGHT_PYTHON to its path"
    )


def sha256_of_files(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def extension_files() -> list[Path]:
    # The same selection the Rust crate embeds: sources and metadata, no build output or caches.
    skipped = {"__pycache__", "build", "dist"}
    return [
        p
        for p in EXTENSION_DIR.rglob("*")
        if p.is_file()
        and not skipped.intersection(p.relative_to(EXTENSION_DIR).parts)
        and not any(part.endswith(".egg-info") for part in p.parts)
        and p.suffix in (".py", ".toml", ".cfg", ".txt", ".json")
    ]


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def read_fingerprint(venv: Path) -> dict:
    try:
        return json.loads((venv / FINGERPRINT_FILE).read_text())
    except (OSError, ValueError):
        return {}


def write_fingerprint(venv: Path, fingerprint: dict) -> None:
    partial = venv / (FINGERPRINT_FILE + ".partial")
    partial.write_text(json.dumps(fingerprint, indent=2) + "\n")
    partial.replace(venv / FINGERPRINT_FILE)


def pip_failure(log: Path, step: str) -> LauncherError:
    """An error naming what pip could not install, with the end of its output."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        text = ""
    missing = re.findall(
        r"(?:No matching distribution found for|Could not find a version that satisfies the "
        r"requirement)\s+(\S+)",
        text,
    )
    tail = "\n".join(text.splitlines()[-LOG_TAIL_LINES:])
    what = f"cannot install {missing[-1]}" if missing else f"pip failed while {step}"
    return LauncherError(
        f"{what} into the LocalStack environment (full output: {log})\n"
        f"--- pip output (end) ---\n{tail}"
    )


def run_pip(venv: Path, args: list[str], log: Path, step: str, state_dir: Path) -> None:
    # pip's build and unpack folders go to a temp dir inside the state dir, not the system's.
    tmp = state_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", TMPDIR=str(tmp))
    with open(log, "a") as out:
        out.write(f"\n$ pip {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(
            [str(venv_python(venv)), "-m", "pip", *args],
            check=False,  # the caller reads the exit code and shows the log
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    if result.returncode != 0:
        raise pip_failure(log, step)


def ensure_environment(state_dir: Path) -> tuple[Path, str]:
    """Creates or updates ``<state>/venv`` so it holds the lock's packages and this extension.

    Each part is fingerprinted (sha256) in the venv; only what changed is reinstalled, and an
    ``flock`` keeps two concurrent launchers from installing at once. Returns the venv and the
    combined fingerprint.
    """
    if not LOCK_FILE.is_file() or not (EXTENSION_DIR / "pyproject.toml").is_file():
        raise LauncherError(
            f"the launcher's files are incomplete: expected {LOCK_FILE} and {EXTENSION_DIR}"
        )
    venv = state_dir / "venv"
    wanted = {
        "lock": sha256_of_files([LOCK_FILE], HERE),
        "extension": sha256_of_files(extension_files(), EXTENSION_DIR),
    }

    combined = hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()

    def up_to_date() -> bool:
        have = read_fingerprint(venv)
        return all(have.get(k) == v for k, v in wanted.items()) and venv_python(venv).exists()

    if up_to_date():
        return venv, combined
    state_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(state_dir / "install.lock", timeout=900, what="installing LocalStack"):
        if up_to_date():  # another launcher finished it while we waited
            return venv, combined
        log = state_dir / "install.log"
        have = read_fingerprint(venv)
        version = python_version(str(venv_python(venv))) if venv_python(venv).exists() else None
        if version not in SUPPORTED_PYTHONS:
            python = choose_python()
            say("creating the LocalStack environment (first run, about 30 s)…")
            if venv.exists():
                shutil.rmtree(venv)  # made by an interpreter that is gone or unsuitable
            log.write_text("")
            result = subprocess.run(
                [python, "-m", "venv", str(venv)],
                check=False,  # a failure is reported below with the interpreter's words
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise LauncherError(
                    f"`{python} -m venv {venv}` failed (on Debian/Ubuntu install python3-venv):\n"
                    + (result.stderr or result.stdout)[-2000:]
                )
            have = {}
        if have.get("lock") != wanted["lock"]:
            say("installing LocalStack's pinned packages into the environment…")
            run_pip(
                venv,
                ["install", "--no-deps", "-r", str(LOCK_FILE)],
                log,
                "installing requirements.lock",
                state_dir,
            )
            have["lock"] = wanted["lock"]
            have.pop("extension", None)  # rebuilt below against the new packages
            write_fingerprint(venv, have)
        if have.get("extension") != wanted["extension"]:
            say("installing pipewright's LocalStack extension…")
            # Build from a copy so that no build output lands next to the sources.
            build = state_dir / "build" / "extension"
            shutil.rmtree(build, ignore_errors=True)
            shutil.copytree(
                EXTENSION_DIR,
                build,
                ignore=shutil.ignore_patterns("__pycache__", "build", "dist", "*.egg-info"),
            )
            run_pip(
                venv,
                ["install", "--no-deps", "--no-build-isolation", "--force-reinstall", str(build)],
                log,
                "installing the pipewright extension",
                state_dir,
            )
            shutil.rmtree(state_dir / "build", ignore_errors=True)
            have["extension"] = wanted["extension"]
            write_fingerprint(venv, have)
    return venv, combined


# --------------------------------------------------------------------------------------------
# Processes


def process_start_time(pid: int) -> str | None:
    """The kernel's start time of a process (Linux /proc), or ``None`` elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def is_our_localstack(pid: int, instance: Instance) -> bool:
    """Whether ``pid`` is this instance's LocalStack (and not a recycled pid)."""
    if not pid_alive(pid):
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        return f"PIPEWRIGHT_INSTANCE_DIR={instance.dir}".encode() in environ.split(b"\0")
    except FileNotFoundError:
        return False
    except OSError:
        pass  # no /proc (macOS): fall back to the command line
    try:
        command = subprocess.run(
            ["ps", "-p", str(pid), "-o", "command="],
            check=False,  # an exited process prints nothing, which answers the question
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return True
    return "localstack.runtime.main" in command


def serves(endpoint: str, timeout: float = 2.0) -> bool:
    # No proxy: the endpoint is on loopback, and an HTTP(S)_PROXY in the environment would
    # otherwise intercept the probe.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{endpoint}/_localstack/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like the server's own socket, so a connection lingering in TIME_WAIT does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LISTEN_HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LISTEN_HOST, 0))
        return probe.getsockname()[1]


def terminate(pid: int, timeout: float) -> bool:
    """SIGTERM to the process (and its group, which it leads), SIGKILL after ``timeout``.

    Returns whether it had to be killed.
    """

    def signal_all(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
                return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)

    signal_all(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return False
        time.sleep(0.1)
    signal_all(signal.SIGKILL)
    for _ in range(50):
        if not pid_alive(pid):
            break
        time.sleep(0.1)
    return True


def log_tail(instance: Instance) -> str:
    try:
        lines = instance.log_file.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-LOG_TAIL_LINES:])


# --------------------------------------------------------------------------------------------
# Owners


def owner_record(pid: int) -> str:
    return f"{pid} {process_start_time(pid) or '-'}"


def add_owner(instance: Instance, owner: int | None, fresh: bool) -> None:
    """Records who keeps the instance alive (see the module docstring for the rules)."""
    if owner is None:
        with contextlib.suppress(FileNotFoundError):
            instance.owners_file.unlink()
        return
    if not fresh and not instance.owners_file.exists():
        return  # an unowned instance stays unowned
    with open(instance.owners_file, "a") as owners:
        owners.write(owner_record(owner) + "\n")


# --------------------------------------------------------------------------------------------
# Commands


def localstack_environment(instance: Instance, port: int, run_hooks: bool = False) -> dict:
    """The emulator's environment: built from scratch so that LocalStack settings of the user's
    shell (DEBUG, SERVICES, PERSISTENCE, AWS_*...) do not change what the tests see."""
    dirs = {name: instance.dir / name for name in ("data", "cache", "tmp", "home")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    # The emulator's own settings pass through (localstack/README.md): build concurrency and
    # the cap on a build's log.
    passed = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
    passed += ("PIPEWRIGHT_MAX_BUILDS", "PIPEWRIGHT_BUILD_LOG_MB")
    env = {key: os.environ[key] for key in passed if key in os.environ}
    env.update(
        {
            "GATEWAY_LISTEN": f"{LISTEN_HOST}:{port}",
            # URLs LocalStack hands out (S3 locations, queue URLs) point at this very endpoint.
            "LOCALSTACK_HOST": f"{LISTEN_HOST}:{port}",
            "DNS_ADDRESS": "0",
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "API_ENDPOINT": DEAD_ENDPOINT,
            "ANALYTICS_API": DEAD_ENDPOINT,
            "AWS_EC2_METADATA_DISABLED": "true",
            # Everything LocalStack, plux and Python write goes under the instance folder.
            "FILESYSTEM_ROOT": str(dirs["data"]),
            "XDG_CACHE_HOME": str(dirs["cache"]),
            "TMPDIR": str(dirs["tmp"]),
            "HOME": str(dirs["home"]),
            "CONFIG_DIR": str(dirs["home"] / ".localstack"),
            "PROVIDER_OVERRIDE_RESOURCEGROUPSTAGGINGAPI": "pipewright",
            "PROVIDER_OVERRIDE_LOGS": "pipewright",
            # S3 checks the KMS key an object is written under, as AWS does ("KMS.NotFoundException"
            # for a key that does not exist, aws/aws-cli#4507); LocalStack skips it by default.
            "S3_SKIP_KMS_KEY_VALIDATION": "0",
            # LocalStack's Lambda with functions that are Active without a container runtime
            # (LocalStack logs that this variable is deprecated and ignored: it is not ignored,
            # the warning dates from its old Lambda provider).
            "PROVIDER_OVERRIDE_LAMBDA": "pipewright",
            "PIPEWRIGHT_INSTANCE_DIR": str(instance.dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if os.environ.get("PIPEWRIGHT_LOCALSTACK_DEBUG"):
        env["DEBUG"] = "1"
    if run_hooks:
        env["PIPEWRIGHT_RUN_HOOKS"] = "1"
    # How much faster than real time CodeDeploy's traffic-shifting waits pass (deployments).
    if os.environ.get("PIPEWRIGHT_DEPLOY_TIME_SCALE"):
        env["PIPEWRIGHT_DEPLOY_TIME_SCALE"] = os.environ["PIPEWRIGHT_DEPLOY_TIME_SCALE"]
    return env


def running_endpoint(instance: Instance, patience: float) -> tuple[str, int] | None:
    """(endpoint, pid) when the instance runs and serves; cleans up files left by a dead one.

    An instance that has an endpoint file served once; a busy one may answer the health probe
    late, so it gets ``patience`` seconds before being considered stuck.
    """
    pid = instance.read_pid()
    if pid is None:
        return None
    if not is_our_localstack(pid, instance):
        instance.clear_runtime_files()  # stale: the process is gone (or the pid was reused)
        return None
    endpoint = instance.read_endpoint()
    if not endpoint:
        return None  # starting or stopping
    deadline = time.monotonic() + patience
    while True:
        if serves(endpoint):
            return endpoint, pid
        if time.monotonic() > deadline or not pid_alive(pid):
            return None
        time.sleep(0.5)


def prune_stale_instances(state_dir: Path, keep: str) -> None:
    """Removes the folders of instances that are not running and were last used long ago."""
    now = time.time()
    for folder in (state_dir / "instances").glob("*"):
        if folder.name == keep or not folder.is_dir():
            continue
        try:
            instance = Instance(state_dir, folder.name)
            last_used = max(p.stat().st_mtime for p in (folder, *folder.iterdir()))
        except (LauncherError, OSError, ValueError):
            continue
        if now - last_used < STALE_INSTANCE_SECONDS:
            continue
        try:
            with open(instance.lock_file, "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # busy: someone uses it
                pid = instance.read_pid()
                if pid is None or not is_our_localstack(pid, instance):
                    shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def cmd_start(args: argparse.Namespace) -> int:
    state_dir = args.state_dir
    instance = Instance(state_dir, args.instance)
    owner = args.owner_pid
    if owner is not None and not pid_alive(owner):
        raise LauncherError(f"--owner-pid {owner}: no such process")
    venv, fingerprint = ensure_environment(state_dir)
    prune_stale_instances(state_dir, keep=instance.name)

    with file_lock(instance.lock_file, timeout=args.timeout + 30, what=f"instance {instance.name}"):
        found = running_endpoint(instance, patience=10)
        if found and args.run_hooks and not instance.run_hooks_file.exists():
            say(f"restarting LocalStack instance {instance.name} to run hook scripts")
            with contextlib.suppress(FileNotFoundError):
                instance.endpoint_file.unlink()
            found = None
        if found and read_text(instance.fingerprint_file) != fingerprint:
            # Started from other sources (an older lock or extension): replace it.
            say(f"restarting LocalStack instance {instance.name}: its environment has changed")
            with contextlib.suppress(FileNotFoundError):
                instance.endpoint_file.unlink()
            found = None
        if found:
            endpoint, pid = found
            if args.port and not endpoint.endswith(f":{args.port}"):
                raise LauncherError(
                    f"LocalStack instance {instance.name} already serves at {endpoint}, "
                    f"not on port {args.port}; stop it first, or start another --instance"
                )
            add_owner(instance, owner, fresh=False)
            if not args.quiet_if_running:
                say(f"LocalStack instance {instance.name} already serves at {endpoint} (pid {pid})")
            print(endpoint, flush=True)
            return 0
        pid = instance.read_pid()
        if pid is not None:
            if instance.read_endpoint():
                say(
                    f"LocalStack instance {instance.name} (pid {pid}) does not answer: replacing it"
                )
            else:
                say(f"LocalStack instance {instance.name} (pid {pid}) is stopping: waiting for it")
            terminate(pid, timeout=15)
            instance.clear_runtime_files()

        port = args.port
        if port is None:
            port = DEFAULT_PORT if instance.name == DEFAULT_INSTANCE else 0
        if port == 0:
            port = free_port()
        elif not port_is_free(port):
            raise LauncherError(
                f"port {port} on {LISTEN_HOST} is in use by another process; stop it, "
                "or choose another port (--port 0 picks a free one)"
            )
        endpoint = f"http://{LISTEN_HOST}:{port}"

        instance.dir.mkdir(parents=True, exist_ok=True)
        instance.clear_runtime_files()
        add_owner(instance, owner, fresh=True)
        say(f"starting LocalStack instance {instance.name} on {endpoint}…")
        started = time.monotonic()
        with open(instance.log_file, "w") as log:
            process = subprocess.Popen(
                [str(venv_python(venv)), "-m", "localstack.runtime.main"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=instance.dir,
                env=localstack_environment(instance, port, run_hooks=args.run_hooks),
                start_new_session=True,  # survives the launcher; stop signals its whole group
                close_fds=True,
            )
        instance.pid_file.write_text(f"{process.pid}\n")

        deadline = started + args.timeout
        failure = None
        while True:
            if process.poll() is not None:
                failure = f"LocalStack exited during start-up (exit code {process.returncode})"
                break
            if time.monotonic() > deadline:
                failure = f"LocalStack did not serve within {args.timeout:g} s"
                break
            if log_says_ready(instance) and serves(endpoint):
                break
            time.sleep(0.1)
        if failure:
            terminate(process.pid, timeout=5)
            instance.clear_runtime_files()
            raise LauncherError(
                f"{failure}; log {instance.log_file} ends with:\n{log_tail(instance)}"
            )

        instance.fingerprint_file.write_text(fingerprint + "\n")
        if args.run_hooks:
            instance.run_hooks_file.write_text("1\n")
        instance.endpoint_file.write_text(endpoint + "\n")
        took = time.monotonic() - started
        say(f"LocalStack serves at {endpoint} (pid {process.pid}, ready in {took:.1f} s)")
        print(endpoint, flush=True)
        return 0


def read_text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def log_says_ready(instance: Instance) -> bool:
    try:
        with open(instance.log_file, errors="replace") as log:
            return any(line.strip() == READY_MARKER for line in log)
    except OSError:
        return False


def cmd_stop(args: argparse.Namespace) -> int:
    if args.all:
        names = sorted(p.name for p in (args.state_dir / "instances").glob("*") if p.is_dir())
        for name in names:
            stop_instance(Instance(args.state_dir, name), args.timeout, quiet_if_idle=True)
        return 0
    stop_instance(Instance(args.state_dir, args.instance), args.timeout, quiet_if_idle=False)
    return 0


def stop_instance(instance: Instance, timeout: float, quiet_if_idle: bool) -> None:
    def not_running() -> None:
        if not quiet_if_idle:
            say(f"LocalStack instance {instance.name} is not running")

    if not instance.dir.exists():
        return not_running()
    with file_lock(instance.lock_file, timeout=timeout + 120, what=f"instance {instance.name}"):
        pid = instance.read_pid()
        if pid is None or not is_our_localstack(pid, instance):
            instance.clear_runtime_files()
            return not_running()
        # Remove the endpoint first: from now on nobody reuses this instance.
        with contextlib.suppress(FileNotFoundError):
            instance.endpoint_file.unlink()
        say(f"stopping LocalStack instance {instance.name} (pid {pid})…")
        killed = terminate(pid, timeout=timeout)
        instance.clear_runtime_files()
        say(f"LocalStack instance {instance.name} {'killed' if killed else 'stopped'}")


def cmd_status(args: argparse.Namespace) -> int:
    instance = Instance(args.state_dir, args.instance)
    found = running_endpoint(instance, patience=2) if instance.dir.exists() else None
    if not found:
        say(f"LocalStack instance {instance.name} is not running")
        return NOT_RUNNING_EXIT
    endpoint, pid = found
    print(f"{endpoint} pid {pid}", flush=True)
    return 0


def cmd_instances(args: argparse.Namespace) -> int:
    instance = Instance(args.state_dir, args.instance)
    found = running_endpoint(instance, patience=10) if instance.dir.exists() else None
    if not found:
        raise LauncherError(
            f"LocalStack instance {instance.name} is not running (`local start` starts it)"
        )
    endpoint, _ = found
    venv = args.state_dir / "venv"
    # The emulator's test credentials only: nothing of the user's AWS configuration is used.
    env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL") if key in os.environ}
    env.update({"AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "*", "PYTHONUNBUFFERED": "1"})
    command = [str(venv_python(venv)), "-m", "pipewright_localstack.local_instances", endpoint]
    return subprocess.run(
        command + args.rest, check=False, env=env, stdin=subprocess.DEVNULL
    ).returncode


def cmd_install(args: argparse.Namespace) -> int:
    venv, _ = ensure_environment(args.state_dir)
    say(f"LocalStack environment ready: {venv}")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="launcher.py", description="Start, find or stop pipewright's bundled LocalStack."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(command: argparse.ArgumentParser, instance: bool = True) -> None:
        command.add_argument(
            "--state-dir",
            type=lambda s: Path(s).expanduser().resolve(),
            default=None,
            help="virtual environment and instance files (default: $PIPEWRIGHT_LOCALSTACK_HOME, "
            "else <user cache dir>/pipewright/localstack)",
        )
        if instance:
            command.add_argument(
                "--instance", default=DEFAULT_INSTANCE, help="instance name (default: default)"
            )

    start = commands.add_parser(
        "start", help="start the instance, or find it serving; prints its endpoint"
    )
    common(start)
    start.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"loopback port; 0 picks a free one (default: {DEFAULT_PORT} for the default "
        "instance, a free one for others)",
    )
    start.add_argument(
        "--owner-pid", type=int, default=None, help="exit by itself once this process is gone"
    )
    start.add_argument(
        "--timeout", type=float, default=60, help="seconds to wait for it to serve (default 60)"
    )
    start.add_argument(
        "--quiet-if-running",
        action="store_true",
        help="say nothing when the instance already serves (progress of a start is still shown)",
    )

    stop = commands.add_parser("stop", help="stop the instance (success if it was not running)")
    common(stop)
    stop.add_argument(
        "--all", action="store_true", help="stop every instance of the state directory"
    )
    stop.add_argument(
        "--timeout", type=float, default=20, help="seconds before SIGKILL (default 20)"
    )

    status = commands.add_parser(
        "status", help="print 'ENDPOINT pid PID' if running (exit 0), else exit 3"
    )
    common(status)

    start.add_argument(
        "--run-hooks",
        action="store_true",
        help="let CodeDeploy deployments run AppSpec hook scripts on this machine",
    )

    instances = commands.add_parser(
        "instances", help="add, list or remove EC2 instances in the running emulator"
    )
    common(instances)
    instances.add_argument("rest", nargs=argparse.REMAINDER, help="add|list|remove and options")

    install = commands.add_parser("install", help="only prepare the virtual environment")
    common(install, instance=False)

    args = parser.parse_args(argv)
    if args.state_dir is None:
        args.state_dir = default_state_dir().expanduser().resolve()
    if getattr(args, "port", None) is not None and not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port}: not a port number")
    if getattr(args, "timeout", 1) <= 0:
        parser.error("--timeout must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    handlers = {
        "start": cmd_start,
        "stop": cmd_stop,
        "status": cmd_status,
        "install": cmd_install,
        "instances": cmd_instances,
    }
    try:
        return handlers[args.command](args)
    except LauncherError as e:
        say(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


def _fail(message: str) -> NoReturn:
    say(f"error: {message}")
    sys.exit(1)


if __name__ == "__main__":
    if sys.version_info < (3, 9):
        _fail("the launcher needs Python 3.9 or newer")
    sys.exit(main())
