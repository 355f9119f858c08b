"""The EC2/on-premises (Server) deployment runner: what CodeDeploy and its agent do.

One background thread per deployment (``start``):

1. the deployment group's instances: the emulator's running EC2 instances matched by the group's
   ``ec2TagFilters`` or ``ec2TagSet``, the in-service instances of its ``autoScalingGroups``
   (the emulator's Auto Scaling, ``autoscaling``), and the registered on-premises instances
   matched by ``onPremisesInstanceTagFilters`` or ``onPremisesTagSet`` ("Working with instances",
   https://docs.aws.amazon.com/codedeploy/latest/userguide/instances.html: filters in one list are
   ORed, the lists of a tag set are ANDed). None: the deployment fails ``NO_INSTANCES``.
2. the batches of the deployment configuration (``planner``);
3. the revision, downloaded once from the emulator's S3 (``zip``, ``tar``, ``tgz``), unpacked per
   instance into ``<state>/deployments/instances/<instance>/deployment-root/<group id>/
   <deployment id>/deployment-archive`` as the agent does under ``/opt/codedeploy-agent``;
4. per instance, the lifecycle events in AWS's order (``appspec.LIFECYCLE_EVENTS``), each with
   its status, times and diagnostics (the agent's error codes and messages). ``files`` are copied
   into the instance's own ``fs/`` folder (``fs/opt/app`` for ``/opt/app``), never to the host's
   paths. Hook scripts run only when the emulator was started with ``PIPEWRIGHT_RUN_HOOKS=1``
   (``local start --run-hooks``); otherwise their events say ``Skipped`` and why.

No store lock is held while S3 or EC2 is called or a hook runs: the thread takes CodeDeploy's lock
only to read the group and to write each state change (``record``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import signal
import subprocess
import tarfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..builds.runner import SYSTEM_PATH
from . import appspec, planner

LOG = logging.getLogger(__name__)

RUN_HOOKS_ENV = "PIPEWRIGHT_RUN_HOOKS"
INSTANCE_DIR_ENV = "PIPEWRIGHT_INSTANCE_DIR"
# CodeDeploy returns "up to the last 4 KB of the diagnostic log" (Diagnostics.logTail); the
# agent itself keeps the last 2048 characters of a script's output.
LOG_TAIL_CHARS = 2048
MAX_PARALLEL = 8

# Deployments running now, for StopDeployment and for the emulator's shutdown.
_RUNS: dict[str, Run] = {}
_RUNS_LOCK = threading.Lock()


def hooks_enabled() -> bool:
    return os.environ.get(RUN_HOOKS_ENV, "").strip() in ("1", "true", "yes")


def state_root() -> Path:
    """Where emulated instances keep their files: under the emulator's state folder."""
    instance_dir = os.environ.get(INSTANCE_DIR_ENV, "").strip()
    if instance_dir:
        return Path(instance_dir) / "deployments"
    from localstack import config

    return Path(config.dirs.tmp) / "pipewright-deployments"


def instance_root(instance_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in instance_id)
    return state_root() / "instances" / safe


# --------------------------------------------------------------------------------------------
# Instances


def tag_matches(tags: dict[str, str], tag_filter: dict, key_field: str = "Key") -> bool:
    """One EC2 (``Key``/``Value``/``Type``) or on-premises tag filter against a tag map."""
    key, value = tag_filter.get(key_field), tag_filter.get("Value")
    kind = tag_filter.get("Type") or ("KEY_AND_VALUE" if key and value else "KEY_ONLY")
    if kind == "KEY_ONLY":
        return key in tags
    if kind == "VALUE_ONLY":
        return value in tags.values()
    return key in tags and tags[key] == (value or "")


def matches_group(tags: dict[str, str], filters: list | None, tag_set: dict | None) -> bool:
    """ORed filters; or a tag set: every one of its lists has a filter that matches."""
    if filters:
        return any(tag_matches(tags, f) for f in filters)
    lists = [group for group in (tag_set or {}).get(_set_key(tag_set), []) if group]
    if lists:
        return all(any(tag_matches(tags, f) for f in group) for group in lists)
    return False


def _set_key(tag_set: dict | None) -> str:
    tag_set = tag_set or {}
    return "ec2TagSetList" if "ec2TagSetList" in tag_set else "onPremisesTagSetList"


def ec2_instances(account_id: str, region: str, group: dict) -> list[dict]:
    """The emulator's running EC2 instances the group selects, sorted by id: those its tags
    match, and the in-service instances of its Auto Scaling groups ("Integrating CodeDeploy with
    Amazon EC2 Auto Scaling", https://docs.aws.amazon.com/codedeploy/latest/userguide/
    integrations-aws-auto-scaling.html: a group may name Auto Scaling groups, EC2 tags, or both)."""
    found = {i["id"]: i for i in _tagged_instances(account_id, region, group)}
    for instance_id in auto_scaling_instances(account_id, region, group):
        found.setdefault(
            instance_id,
            {
                "id": instance_id,
                "arn": f"arn:aws:ec2:{region}:{account_id}:instance/{instance_id}",
            },
        )
    return sorted(found.values(), key=lambda i: i["id"])


def auto_scaling_instances(account_id: str, region: str, group: dict) -> list[str]:
    """Ids of the ``InService`` instances of the group's Auto Scaling groups."""
    names = [
        g.get("name") if isinstance(g, dict) else g for g in group.get("autoScalingGroups") or []
    ]
    names = [n for n in names if n]
    if not names:
        return []
    autoscaling = _client(account_id, region, "autoscaling")
    ids = []
    pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
        AutoScalingGroupNames=names
    )
    for page in pages:
        for found in page.get("AutoScalingGroups", []):
            for instance in found.get("Instances", []):
                if instance.get("LifecycleState") == "InService":
                    ids.append(instance["InstanceId"])
    return ids


def _tagged_instances(account_id: str, region: str, group: dict) -> list[dict]:
    if not group.get("ec2TagFilters") and not (group.get("ec2TagSet") or {}).get("ec2TagSetList"):
        return []
    ec2 = _client(account_id, region, "ec2")
    found = []
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
    )
    for page in pages:
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                tags = {t["Key"]: t.get("Value", "") for t in instance.get("Tags") or []}
                if matches_group(tags, group.get("ec2TagFilters"), group.get("ec2TagSet")):
                    instance_id = instance["InstanceId"]
                    found.append(
                        {
                            "id": instance_id,
                            "arn": f"arn:aws:ec2:{region}:{account_id}:instance/{instance_id}",
                        }
                    )
    return found


def on_premises_instances(registered: list[dict], group: dict) -> list[dict]:
    """Registered (not deregistered) on-premises instances the group's tags select."""
    found = []
    for info in registered:
        if info.get("deregisterTime"):
            continue
        tags = {t["Key"]: t.get("Value", "") for t in info.get("tags") or []}
        if matches_group(
            tags, group.get("onPremisesInstanceTagFilters"), group.get("onPremisesTagSet")
        ):
            found.append({"id": info["instanceName"], "arn": info["instanceArn"]})
    return sorted(found, key=lambda i: i["id"])


def _client(account_id: str, region: str, service: str) -> Any:
    from localstack.aws.connect import connect_to

    # LocalStack takes a 12-digit access key as the account id (as ``executor.actions._s3``).
    factory = connect_to(
        region_name=region, aws_access_key_id=account_id, aws_secret_access_key="test"
    )
    return getattr(factory, service)


# --------------------------------------------------------------------------------------------
# The revision


class RevisionError(Exception):
    """The revision could not be downloaded; the message is what DownloadBundle reports."""


def download(account_id: str, region: str, revision: dict) -> tuple[bytes, str]:
    """The bundle's bytes and bundle type, from the emulator's S3."""
    location = revision.get("s3Location") or {}
    s3 = _client(account_id, region, "s3")
    arguments = {"Bucket": location.get("bucket"), "Key": location.get("key")}
    if location.get("version"):
        arguments["VersionId"] = location["version"]
    try:
        body = s3.get_object(**arguments)["Body"].read()
    except s3.exceptions.NoSuchKey:
        raise RevisionError("The specified key does not exist.") from None
    except s3.exceptions.NoSuchBucket:
        raise RevisionError("The specified bucket does not exist") from None
    except Exception as e:  # access denied, version missing...: S3's own message
        message = getattr(e, "response", {}).get("Error", {}).get("Message") or str(e)
        raise RevisionError(message) from e
    etag = location.get("eTag")
    if etag:
        import hashlib

        if hashlib.md5(body).hexdigest() != etag.strip('"'):
            raise RevisionError(
                "The deployment failed because the eTag of the revision in Amazon S3 does not "
                "match the eTag given in the revision location."
            )
    return body, (location.get("bundleType") or _bundle_type_of(location.get("key") or ""))


def _bundle_type_of(key: str) -> str:
    if key.endswith((".tar.gz", ".tgz")):
        return "tgz"
    if key.endswith(".tar"):
        return "tar"
    return "zip"


def unpack(body: bytes, bundle_type: str, target: Path) -> None:
    """Unpacks a bundle; members escaping ``target`` are refused as the agent refuses them."""
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    try:
        if bundle_type == "zip":
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                for member in archive.infolist():
                    destination = (root / member.filename).resolve()
                    if not destination.is_relative_to(root):
                        raise RevisionError(
                            f"The bundle holds a path outside it: {member.filename}"
                        )
                    archive.extract(member, root)
                    mode = (member.external_attr >> 16) & 0o777
                    if mode and not member.is_dir():
                        os.chmod(destination, mode)
        elif bundle_type in ("tar", "tgz"):
            mode = "r:gz" if bundle_type == "tgz" else "r:"
            with tarfile.open(fileobj=io.BytesIO(body), mode=mode) as archive:
                archive.extractall(root, filter="data")
        else:
            raise RevisionError(f"Bundle type {bundle_type} cannot be unpacked on an instance")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as e:
        raise RevisionError(
            f"The revision could not be unpacked as a {bundle_type} bundle: {e}"
        ) from e


# --------------------------------------------------------------------------------------------
# Hooks


def run_script(
    script: appspec.Script, archive: Path, environment: dict, home: Path, run: Run
) -> tuple[str, str, str]:
    """Runs a hook script as the agent does; returns (errorCode, message, logTail)."""
    path = appspec.source_path(archive, script.location)
    if not path.is_file():
        return "ScriptMissing", appspec.script_missing_message(script.location), ""
    if not os.access(path, os.X_OK):
        try:
            path.chmod(path.stat().st_mode | 0o111)
        except OSError:
            return (
                "ScriptNotExecutable",
                f"Unable to set script at specified location: {script.location} as executable",
                "",
            )
    home.mkdir(parents=True, exist_ok=True)
    env = {
        # The system's folders only, as a build's: the emulator's own PATH names the host
        # user's folders (~/.cargo/bin, a Python environment), which a hook has no business with.
        "PATH": ":".join(SYSTEM_PATH),
        "HOME": str(home),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        **environment,
    }
    output: list[str] = []
    process = subprocess.Popen(
        [str(path)],
        cwd=archive,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group, killed whole on timeout or stop
    )
    run.processes.add(process)

    def pump(stream, prefix):
        for line in stream:
            output.append(prefix + line)

    readers = [
        threading.Thread(target=pump, args=(process.stdout, "[stdout]"), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, "[stderr]"), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        process.wait(timeout=script.timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(process)
    finally:
        run.processes.discard(process)
    for reader in readers:
        reader.join(timeout=2)
    tail = "".join(output)[-LOG_TAIL_CHARS:]
    if timed_out:
        return (
            "ScriptTimedOut",
            f"Script at specified location: {script.location} failed to complete in "
            f"{script.timeout} seconds",
            tail,
        )
    if run.stopping.is_set() and process.returncode and process.returncode < 0:
        return "UnknownError", "The deployment was stopped while the script ran", tail
    if process.returncode != 0:
        return (
            "ScriptFailed",
            f"Script at specified location: {script.location} failed with exit code "
            f"{process.returncode}",
            tail,
        )
    return "Success", "Succeeded", tail


def kill_group(process: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=2)
            return
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------------------------
# The run


class Stopped(Exception):
    """StopDeployment (or the emulator's shutdown) ended the deployment."""


class AlarmStopped(Exception):
    """An alarm of the deployment's alarm configuration stopped it (``alarms``)."""


class Run:
    """One deployment's thread and what may end it."""

    def __init__(self, deployment_id: str):
        self.deployment_id = deployment_id
        self.stopping = threading.Event()
        self.processes: set[subprocess.Popen] = set()
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        self.stopping.set()
        for process in list(self.processes):
            kill_group(process)


def start(deployment_id: str, work) -> Run:
    """Runs ``work(run)`` in a background thread registered for stop and shutdown."""
    run = Run(deployment_id)

    def body():
        try:
            work(run)
        except Exception:  # never leave a deployment InProgress because of a bug
            LOG.exception("deployment %s failed in the emulator", deployment_id)
        finally:
            with _RUNS_LOCK:
                _RUNS.pop(deployment_id, None)

    with _RUNS_LOCK:
        _RUNS[deployment_id] = run
    run.thread = threading.Thread(target=body, name=f"codedeploy-{deployment_id}", daemon=True)
    run.thread.start()
    return run


def running(deployment_id: str) -> Run | None:
    with _RUNS_LOCK:
        return _RUNS.get(deployment_id)


def shutdown(timeout: float = 5.0) -> None:
    """Stops every running deployment and kills its hook processes (the emulator stops)."""
    with _RUNS_LOCK:
        runs = list(_RUNS.values())
    for run in runs:
        run.stop()
    deadline = time.monotonic() + timeout
    for run in runs:
        if run.thread is not None:
            run.thread.join(max(0.0, deadline - time.monotonic()))


class InstanceDeployment:
    """The lifecycle events of one instance, reported through ``report(target_id, target)``."""

    def __init__(self, context: dict, instance: dict, run: Run, report):
        self.context = context
        self.instance = instance
        self.run = run
        self.report = report
        self.root = instance_root(instance["id"])
        group_dir = self.root / "deployment-root" / context["group_id"]
        self.group_dir = group_dir
        self.deployment_dir = group_dir / context["deployment_id"]
        self.archive = self.deployment_dir / "deployment-archive"
        self.fs = self.root / "fs"
        self.events = {
            name: {"lifecycleEventName": name, "status": "Pending"}
            for name in appspec.LIFECYCLE_EVENTS
        }
        self.spec: appspec.AppSpec | None = None

    def target(self, status: str) -> dict:
        from ..common import now

        return {
            "deploymentId": self.context["deployment_id"],
            "targetId": self.instance["id"],
            "targetArn": self.instance["arn"],
            "status": status,
            "lastUpdatedAt": now(),
            "lifecycleEvents": [dict(self.events[n]) for n in appspec.LIFECYCLE_EVENTS],
        }

    def deploy(self) -> str:
        """Runs every event; returns the instance's final status."""
        from ..common import now

        self.report(self.instance["id"], self.target("InProgress"))
        failed = interrupted = False
        for name in appspec.LIFECYCLE_EVENTS:
            event = self.events[name]
            if failed or self.run.stopping.is_set():
                interrupted = interrupted or not failed
                event["status"] = "Skipped"
                continue
            event["startTime"] = now()
            event["status"] = "InProgress"
            self.report(self.instance["id"], self.target("InProgress"))
            status, diagnostics = self.event(name)
            event["endTime"] = now()
            event["status"] = status
            if diagnostics:
                event["diagnostics"] = diagnostics
            if status == "Failed":
                if name == "ApplicationStop" and self.context.get("ignore_stop_failures"):
                    continue
                failed = True
        if failed:
            final = "Failed"
        elif interrupted:
            final = "Skipped"
        else:
            final = "Succeeded"
            self.remember_success()
        self.report(self.instance["id"], self.target(final))
        return final

    def event(self, name: str) -> tuple[str, dict | None]:
        try:
            if name == "DownloadBundle":
                return self.download_bundle()
            if name == "Install":
                return self.install()
            return self.hooks(name)
        except appspec.AppSpecError as e:
            return "Failed", _diagnostics("UnknownError", "", str(e))

    def download_bundle(self) -> tuple[str, dict | None]:
        error = self.context.get("revision_error")
        if error:
            return "Failed", _diagnostics("UnknownError", "", error)
        shutil.rmtree(self.deployment_dir, ignore_errors=True)
        try:
            unpack(self.context["bundle"], self.context["bundle_type"], self.archive)
        except RevisionError as e:
            return "Failed", _diagnostics("UnknownError", "", str(e))
        return "Succeeded", None

    def load_spec(self) -> appspec.AppSpec:
        if self.spec is None:
            self.spec = appspec.parse(appspec.find(self.archive).read_text(errors="replace"))
        return self.spec

    def install(self) -> tuple[str, dict | None]:
        spec = self.load_spec()
        cleanup_file = self.root / "deployment-instructions" / f"{self.context['group_id']}-cleanup"
        # Files the group's last deployment installed are removed first (the agent's cleanup
        # file), so a new revision replaces them; anything else in the way is an error unless
        # fileExistsBehavior says otherwise.
        if cleanup_file.exists():
            for path in reversed(json.loads(cleanup_file.read_text() or "[]")):
                target = Path(path)
                if target.is_file() or target.is_symlink():
                    target.unlink(missing_ok=True)
                elif target.is_dir() and not any(target.iterdir()):
                    target.rmdir()
            cleanup_file.unlink()
        behavior = self.context.get("file_exists_behavior") or "DISALLOW"
        created: list[str] = []
        try:
            for mapping in spec.files:
                source = appspec.source_path(self.archive, mapping.source)
                destination = self.fs / mapping.destination.replace("\\", "/").lstrip("/")
                if ":" in destination.name[:2]:
                    destination = self.fs / mapping.destination.split(":", 1)[1].lstrip("/\\")
                if not source.exists():
                    # Ruby's FileUtils.cp, as the agent's Install meets a missing source.
                    raise _InstallError(f"No such file or directory @ rb_sysopen - {source}")
                if source.is_dir():
                    for file in sorted(source.rglob("*")):
                        if file.is_dir():
                            continue
                        self.copy(file, destination / file.relative_to(source), behavior, created)
                else:
                    self.copy(source, destination / source.name, behavior, created)
        except _InstallError as e:
            self.write_cleanup(cleanup_file, created)
            return "Failed", _diagnostics("UnknownError", "", str(e))
        self.write_cleanup(cleanup_file, created)
        return "Succeeded", None

    def copy(self, source: Path, destination: Path, behavior: str, created: list[str]) -> None:
        if destination.exists():
            if behavior == "RETAIN":
                return
            if behavior != "OVERWRITE":
                shown = "/" + str(destination.relative_to(self.fs))
                raise _InstallError(
                    "The deployment failed because a specified file already exists at this "
                    f"location: {shown}"
                )
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
        created.append(str(destination))

    @staticmethod
    def write_cleanup(cleanup_file: Path, created: list[str]) -> None:
        cleanup_file.parent.mkdir(parents=True, exist_ok=True)
        cleanup_file.write_text(json.dumps(created))

    def hooks(self, name: str) -> tuple[str, dict | None]:
        archive = self.archive
        if name == "ApplicationStop":
            # ApplicationStop runs the scripts of the last revision that succeeded on this
            # instance (the agent's "OldOrIgnore"); on a first deployment there is none.
            last = self.last_success()
            if last is None:
                return "Succeeded", None
            archive = last
            try:
                spec = appspec.parse(appspec.find(archive).read_text(errors="replace"))
            except appspec.AppSpecError as e:
                return "Failed", _diagnostics("UnknownError", "", str(e))
        else:
            spec = self.load_spec()
        scripts = spec.hooks.get(name) or ()
        if not scripts:
            return "Succeeded", None
        for script in scripts:
            if not appspec.source_path(archive, script.location).is_file():
                return "Failed", _diagnostics(
                    "ScriptMissing",
                    script.location,
                    appspec.script_missing_message(script.location),
                )
        if not hooks_enabled():
            locations = ", ".join(s.location for s in scripts)
            return "Skipped", _diagnostics(
                "Success",
                scripts[0].location,
                "Hook scripts are not run by the pipewright emulator unless it is started with "
                f"--run-hooks (PIPEWRIGHT_RUN_HOOKS=1); not run: {locations}",
            )
        environment = {
            "LIFECYCLE_EVENT": name,
            "DEPLOYMENT_ID": self.context["deployment_id"],
            "APPLICATION_NAME": self.context["application"],
            "DEPLOYMENT_GROUP_NAME": self.context["group_name"],
            "DEPLOYMENT_GROUP_ID": self.context["group_id"],
        }
        tails = []
        for script in scripts:
            code, message, tail = run_script(
                script, archive, environment, self.root / "home", self.run
            )
            tails.append(f"Script - {script.location}\n{tail}")
            if code != "Success":
                return "Failed", _diagnostics(code, script.location, message, "".join(tails))
        log = f"LifecycleEvent - {name}\n" + "".join(tails)
        return "Succeeded", _diagnostics("Success", scripts[-1].location, "Succeeded", log)

    def last_success_file(self) -> Path:
        return self.root / "deployment-instructions" / f"{self.context['group_id']}_last_successful"

    def last_success(self) -> Path | None:
        try:
            path = Path(self.last_success_file().read_text().strip())
        except OSError:
            return None
        return path if path.is_dir() else None

    def remember_success(self) -> None:
        marker = self.last_success_file()
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(self.archive) + "\n")


class _InstallError(Exception):
    pass


def _diagnostics(code: str, script: str, message: str, log: str = "") -> dict:
    return {
        "errorCode": code,
        "scriptName": script,
        "message": message[:500] if code != "UnknownError" else message,
        "logTail": log[-LOG_TAIL_CHARS:],
    }


def deploy_instances(
    context: dict, instances: list[dict], plan: planner.Plan, run: Run, report, alarms=None
) -> tuple[int, int, bool]:
    """Deploys batch by batch; returns (succeeded, failed, health constraints broke).
    ``alarms()`` is asked before and after each batch: a reason stops the deployment."""
    succeeded = failed = 0
    order = [i["id"] for i in instances]
    by_id = {i["id"]: i for i in instances}

    def check_alarms() -> None:
        reason = alarms() if alarms is not None else None
        if reason is not None:
            raise AlarmStopped(reason)

    for batch in plan.batches(order):
        if run.stopping.is_set():
            raise Stopped()
        check_alarms()
        if not plan.may_start(failed, len(batch)):
            return succeeded, failed, True
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(batch))) as pool:
            results = list(
                pool.map(
                    lambda iid: InstanceDeployment(context, by_id[iid], run, report).deploy(),
                    batch,
                )
            )
        succeeded += results.count("Succeeded")
        failed += results.count("Failed")
        if run.stopping.is_set():
            raise Stopped()
        check_alarms()
    return succeeded, failed, False
