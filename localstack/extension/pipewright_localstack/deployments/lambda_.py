"""The Lambda compute platform: an alias's traffic shifted to a new version, as CodeDeploy does.

One deployment, in its background thread (``api.execute``):

1. the revision: ``AppSpecContent`` / ``String`` content (its ``sha256`` checked when given) or a
   ``YAML`` / ``JSON`` object in the emulator's S3;
2. the AppSpec, checked (``specs.parse_lambda``), then against the emulator's Lambda: the
   function, its alias and both versions exist, the alias points to ``CurrentVersion``
   ("The Lambda function alias version does not match the current version in AppSpec file.");
   ``CurrentVersion`` equal to ``TargetVersion`` is refused unless the configuration is
   ``AllAtOnce`` (AWS rejects such a canary or linear deployment). Each failure fails the
   deployment ``INVALID_LAMBDA_CONFIGURATION`` with CodeDeploy's message;
3. the target's lifecycle events in AWS's order: ``Start``, ``BeforeAllowTraffic``,
   ``AllowTraffic``, ``AfterAllowTraffic``, ``End`` ("AppSpec 'hooks' section", list of lifecycle
   event hooks for an AWS Lambda deployment). ``AllowTraffic`` moves the alias per the
   deployment configuration (``traffic.schedule``): ``UpdateAlias`` with
   ``RoutingConfig.AdditionalVersionWeights`` {target: weight} while both versions serve, then
   ``FunctionVersion`` target with no routing. Waits are scaled by ``PIPEWRIGHT_DEPLOY_TIME_SCALE``;
4. hooks: a ``BeforeAllowTraffic`` or ``AfterAllowTraffic`` hook function cannot be invoked here
   (LocalStack in host mode runs no function code, see ``lambda_runtime``), so its event fails
   and says so, and the deployment fails ``HOOK_EXECUTION_FAILURE``: on AWS a hook that never
   reports its status (PutLifecycleEventHookExecutionStatus) fails the deployment too, so a
   deployment that depends on a hook never passes locally without it having run. A hook naming
   a function that does not exist fails ``INVALID_LAMBDA_FUNCTION``.

Rollback (``api._after``): a failed or stopped deployment whose traffic had started to move, with
automatic rollback enabled for that event, is followed by a rollback deployment that moves the
alias back to ``CurrentVersion`` with no routing (``restore``).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from . import server, specs, traffic

EVENTS = ("Start", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic", "End")
POLL = 0.05


class Failure(Exception):
    """The deployment fails (or stops) with ``code`` and ``message``."""

    def __init__(self, code: str, message: str, status: str = "Failed"):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def revision_text(account_id: str, region: str, revision: dict) -> str:
    """The AppSpec text of a Lambda revision."""
    kind = revision.get("revisionType")
    if kind in ("AppSpecContent", "String"):
        raw = revision.get("appSpecContent" if kind == "AppSpecContent" else "string") or {}
        content = raw.get("content")
        if not content:
            raise Failure("INVALID_REVISION", "The revision has no AppSpec content.")
        digest = raw.get("sha256")
        if digest and hashlib.sha256(content.encode()).hexdigest() != digest.strip().lower():
            raise Failure(
                "INVALID_REVISION",
                "The SHA-256 hash of the AppSpec content does not match the sha256 given with it.",
            )
        return content
    try:
        body, _bundle = server.download(account_id, region, revision)
    except server.RevisionError as e:
        raise Failure("REVISION_MISSING", str(e)) from e
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Failure("INVALID_REVISION", "The AppSpec object is not UTF-8 text.") from e


def _error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def _published(version: str) -> bool:
    return version.isdigit()


def check(spec: specs.LambdaSpec, lam: Any, routing: dict | None) -> dict:
    """Checks the AppSpec against the emulator's Lambda; returns the alias."""
    invalid = specs.LAMBDA_INVALID
    try:
        lam.get_function(FunctionName=spec.name)
    except lam.exceptions.ResourceNotFoundException as e:
        raise Failure(
            "INVALID_LAMBDA_CONFIGURATION",
            f"{invalid} The Lambda function {spec.name} does not exist.",
        ) from e
    try:
        alias = lam.get_alias(FunctionName=spec.name, Name=spec.alias)
    except lam.exceptions.ResourceNotFoundException as e:
        raise Failure(
            "INVALID_LAMBDA_CONFIGURATION",
            f"{invalid} The alias {spec.alias} of Lambda function {spec.name} does not exist.",
        ) from e
    for version in (spec.current_version, spec.target_version):
        if not _published(version):
            raise Failure(
                "INVALID_LAMBDA_CONFIGURATION",
                f"{invalid} The version {version} is not a published version of Lambda function "
                f"{spec.name} (an alias that shifts traffic cannot point to $LATEST).",
            )
        try:
            lam.get_function_configuration(FunctionName=spec.name, Qualifier=version)
        except lam.exceptions.ResourceNotFoundException as e:
            raise Failure(
                "INVALID_LAMBDA_CONFIGURATION",
                f"{invalid} The version {version} of Lambda function {spec.name} does not exist.",
            ) from e
    if alias.get("FunctionVersion") != spec.current_version:
        raise Failure("INVALID_LAMBDA_CONFIGURATION", f"{invalid} {specs.ALIAS_VERSION_MISMATCH}")
    kind = (routing or {}).get("type") or "AllAtOnce"
    if spec.current_version == spec.target_version and kind != "AllAtOnce":
        raise Failure("INVALID_LAMBDA_CONFIGURATION", invalid)
    return alias


class Target:
    """The deployment's one ``LambdaTarget``, written through ``report``."""

    def __init__(self, deployment_id: str, arn: str, info: dict, report):
        self.deployment_id = deployment_id
        self.arn = arn
        self.info = info
        self.report = report
        self.status = "Pending"
        self.events = {n: {"lifecycleEventName": n, "status": "Pending"} for n in EVENTS}

    @property
    def target_id(self) -> str:
        return f"{self.info['functionName']}:{self.info['functionAlias']}"

    def write(self) -> None:
        from ..common import now

        self.report(
            self.target_id,
            {
                "_type": "LambdaTarget",
                "deploymentId": self.deployment_id,
                "targetId": self.target_id,
                "targetArn": self.arn,
                "status": self.status,
                "lastUpdatedAt": now(),
                "lifecycleEvents": [dict(self.events[n]) for n in EVENTS],
                "lambdaFunctionInfo": dict(self.info),
            },
        )

    def begin(self, name: str) -> None:
        from ..common import now

        self.status = "InProgress"
        self.events[name].update(status="InProgress", startTime=now())
        self.write()

    def end(self, name: str, status: str, message: str | None = None) -> None:
        from ..common import now

        event = self.events[name]
        event.update(status=status, endTime=now())
        if message:
            event["diagnostics"] = {
                "errorCode": "Success" if status == "Succeeded" else "UnknownError",
                "scriptName": "",
                "message": message[:500],
                "logTail": "",
            }
        self.write()

    def finish(self, status: str) -> None:
        self.status = status
        for event in self.events.values():
            if event["status"] in ("Pending", "InProgress"):
                event["status"] = "Skipped"
        self.write()


def _lambda_client(account_id: str, region: str):
    return server._client(account_id, region, "lambda")


def _alias_arn(region: str, account_id: str, name: str, alias: str) -> str:
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}:{alias}"


def deploy(
    account_id: str,
    region: str,
    deployment_id: str,
    revision: dict,
    config: dict,
    run: server.Run,
    report,
    remember,
    alarms,
) -> tuple[str, str | None, str | None]:
    """Runs the deployment; returns (status, error code, message). ``remember(dict)`` records
    what a rollback needs; ``alarms()`` raises ``Failure`` when an alarm stops the deployment."""
    routing = config.get("trafficRoutingConfig")
    try:
        spec = specs.parse_lambda(revision_text(account_id, region, revision))
    except specs.SpecError as e:
        return "Failed", "INVALID_LAMBDA_CONFIGURATION", str(e)
    except Failure as e:
        return e.status, e.code, e.message
    lam = _lambda_client(account_id, region)
    info = {
        "functionName": spec.name,
        "functionAlias": spec.alias,
        "currentVersion": spec.current_version,
        "targetVersion": spec.target_version,
        "targetVersionWeight": 0.0,
    }
    target = Target(
        deployment_id, _alias_arn(region, account_id, spec.name, spec.alias), info, report
    )
    remember(
        {
            "function": spec.name,
            "alias": spec.alias,
            "version": spec.current_version,
            "from": spec.target_version,
        }
    )
    try:
        check(spec, lam, routing)
        target.write()
        alarms()
        target.begin("Start")
        target.end("Start", "Succeeded")
        _hook(target, lam, spec, "BeforeAllowTraffic", run, alarms)
        target.begin("AllowTraffic")
        _shift(target, lam, spec, traffic.schedule(routing), run, alarms, remember)
        target.end("AllowTraffic", "Succeeded")
        _hook(target, lam, spec, "AfterAllowTraffic", run, alarms)
        target.begin("End")
        target.end("End", "Succeeded")
    except server.Stopped:
        _fail_current(target, "The deployment was stopped")
        target.finish("Skipped")
        return "Stopped", "MANUAL_STOP", "The deployment was stopped by a user"
    except Failure as e:
        _fail_current(target, e.message)
        target.finish("Failed" if e.status == "Failed" else "Skipped")
        return e.status, e.code, e.message
    except Exception as e:  # the emulator's Lambda refused a call: say which
        message = f"The emulator's Lambda refused a call of this deployment: {e}"
        _fail_current(target, message)
        target.finish("Failed")
        return "Failed", "INTERNAL_ERROR", message
    target.finish("Succeeded")
    return "Succeeded", None, None


def _fail_current(target: Target, message: str) -> None:
    for name in EVENTS:
        if target.events[name]["status"] == "InProgress":
            target.end(name, "Failed", message)


def _hook(target: Target, lam, spec: specs.LambdaSpec, name: str, run, alarms) -> None:
    if run.stopping.is_set():
        raise server.Stopped()
    alarms()
    target.begin(name)
    function = spec.hooks.get(name)
    if function is None:
        target.end(name, "Succeeded")
        return
    try:
        lam.get_function(FunctionName=function)
    except lam.exceptions.ResourceNotFoundException as e:
        raise Failure(
            "INVALID_LAMBDA_FUNCTION",
            f"The deployment failed because the {name} hook function {function} does not exist.",
        ) from e
    raise Failure(
        "HOOK_EXECUTION_FAILURE",
        f"The {name} hook function {function} was not invoked: the pipewright emulator cannot "
        "run Lambda functions (LocalStack in host mode has no container runtime), so the hook "
        "never reports a status and the deployment fails, as it would on AWS. Remove the hook "
        "to deploy locally.",
    )


def _shift(target: Target, lam, spec, steps, run, alarms, remember) -> None:
    scale = traffic.time_scale()
    started = time.monotonic()
    for step in steps:
        due = started + traffic.seconds(step.minute, scale)
        while True:
            if run.stopping.is_set():
                raise server.Stopped()
            alarms()
            left = due - time.monotonic()
            if left <= 0:
                break
            run.stopping.wait(min(left, POLL))
        set_weight(
            lam, spec.name, spec.alias, spec.current_version, spec.target_version, step.percent
        )
        remember({"shifted": True})
        target.info["targetVersionWeight"] = float(step.percent)
        target.write()


def set_weight(lam, name: str, alias: str, current: str, wanted: str, percent: float) -> None:
    """The alias with ``percent`` of its traffic on ``wanted`` (UpdateAlias)."""
    if percent >= 100:
        lam.update_alias(
            FunctionName=name,
            Name=alias,
            FunctionVersion=wanted,
            RoutingConfig={"AdditionalVersionWeights": {}},
        )
    else:
        lam.update_alias(
            FunctionName=name,
            Name=alias,
            FunctionVersion=current,
            RoutingConfig={"AdditionalVersionWeights": {wanted: round(percent / 100.0, 5)}},
        )


def restore(
    account_id: str, region: str, deployment_id: str, internal: dict, report
) -> tuple[str, str | None, str | None]:
    """A rollback deployment: the alias back on the version it pointed to, with no routing."""
    wanted = internal["restore_alias"]
    lam = _lambda_client(account_id, region)
    info = {
        "functionName": wanted["function"],
        "functionAlias": wanted["alias"],
        "currentVersion": wanted.get("from") or wanted["version"],
        "targetVersion": wanted["version"],
        "targetVersionWeight": 0.0,
    }
    target = Target(
        deployment_id,
        _alias_arn(region, account_id, wanted["function"], wanted["alias"]),
        info,
        report,
    )
    target.begin("Start")
    target.end("Start", "Succeeded")
    target.begin("BeforeAllowTraffic")
    target.end("BeforeAllowTraffic", "Succeeded")
    target.begin("AllowTraffic")
    try:
        version = wanted["version"]
        set_weight(lam, wanted["function"], wanted["alias"], version, version, 100)
    except Exception as e:
        message = f"The alias could not be moved back: {e}"
        target.end("AllowTraffic", "Failed", message)
        target.finish("Failed")
        return "Failed", "INTERNAL_ERROR", message
    target.info["targetVersionWeight"] = 100.0
    target.end("AllowTraffic", "Succeeded")
    target.begin("AfterAllowTraffic")
    target.end("AfterAllowTraffic", "Succeeded")
    target.begin("End")
    target.end("End", "Succeeded")
    target.finish("Succeeded")
    return "Succeeded", None, None
