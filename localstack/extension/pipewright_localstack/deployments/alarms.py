"""Alarm-based stops: a deployment stops when one of its CloudWatch alarms is in ALARM.

AWS's rules ("Monitoring deployments with CloudWatch alarms in CodeDeploy",
https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html, and
``AlarmConfiguration`` in the CodeDeploy API Reference): the deployment's
``overrideAlarmConfiguration`` or else its group's ``alarmConfiguration``, when ``enabled``, names
up to 10 alarms; CodeDeploy polls their state while the deployment runs and stops it when one is
in ``ALARM`` (status ``Stopped``, ``errorInformation.code`` ``ALARM_ACTIVE``). When the states
cannot be read (CloudWatch refuses, or an alarm does not exist), the deployment stops too, unless
``ignorePollAlarmFailure`` is true. The alarms are the emulator's own CloudWatch alarms
(LocalStack serves CloudWatch; ``PutMetricAlarm`` and ``SetAlarmState`` set them).

``watcher`` returns a check for the runners: ``None`` while the deployment may go on, else the
reason it stops. It asks CloudWatch at most every ``INTERVAL`` seconds.
"""

from __future__ import annotations

import time

INTERVAL = 0.2
ACTIVE_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you "
    "selected, and the affected deployments have been stopped. Activated alarms: {names}"
)
POLL_FAILURE_MESSAGE = (
    "The deployment was stopped because the state of its CloudWatch alarms could not be "
    "retrieved ({reason}), and the alarm configuration does not ignore poll failures "
    "(ignorePollAlarmFailure)."
)


def names(configuration: dict | None) -> list[str]:
    """The alarms a configuration watches (none when it is absent or disabled)."""
    configuration = configuration or {}
    if not configuration.get("enabled"):
        return []
    return [a["name"] for a in configuration.get("alarms") or [] if a.get("name")]


def verdict(configuration: dict, states: dict[str, str] | None, error: str | None) -> str | None:
    """Why the deployment stops, given the alarms' states (``None``: they could not be read,
    for ``error``); ``None`` when it goes on. Pure."""
    watched = names(configuration)
    if not watched:
        return None
    ignore = bool(configuration.get("ignorePollAlarmFailure"))
    if states is None:
        return None if ignore else POLL_FAILURE_MESSAGE.format(reason=error)
    active = [n for n in watched if states.get(n) == "ALARM"]
    if active:
        return ACTIVE_MESSAGE.format(names=", ".join(active))
    missing = [n for n in watched if n not in states]
    if missing and not ignore:
        return POLL_FAILURE_MESSAGE.format(reason=f"no alarm named {', '.join(missing)}")
    return None


def watcher(account_id: str, region: str, configuration: dict | None):
    """A check to call between a deployment's steps (see the module's doc)."""
    watched = names(configuration)
    if not watched:
        return lambda: None
    last = {"at": 0.0, "result": None}

    def check() -> str | None:
        now = time.monotonic()
        if now - last["at"] < INTERVAL:
            return last["result"]
        last["at"] = now
        states, error = None, None
        try:
            from .server import _client

            cloudwatch = _client(account_id, region, "cloudwatch")
            found = cloudwatch.describe_alarms(AlarmNames=watched)
            states = {a["AlarmName"]: a["StateValue"] for a in found.get("MetricAlarms", [])}
        except Exception as e:  # CloudWatch refused: a poll failure
            error = str(e)
        last["result"] = verdict(configuration or {}, states, error)
        return last["result"]

    return check
