"""When a Lambda deployment shifts how much of the alias's traffic to the target version (pure).

AWS's rules ("Deployment configurations on an AWS Lambda compute platform",
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html, and
``TrafficRoutingConfig`` / ``TimeBasedCanary`` / ``TimeBasedLinear`` in the CodeDeploy API
Reference):

- ``AllAtOnce``: all traffic moves at once.
- ``TimeBasedCanary``: ``canaryPercentage`` moves first; the rest ``canaryInterval`` minutes later.
- ``TimeBasedLinear``: ``linearPercentage`` more moves every ``linearInterval`` minutes until all
  of it has (``Linear10PercentEvery1Minute``: 10 % at once, 20 % a minute later, ... 100 % after
  nine minutes).

The emulator scales those waits down by ``PIPEWRIGHT_DEPLOY_TIME_SCALE`` (``time_scale``): a
minute lasts ``60 / scale`` seconds, so the default 200 turns a 10-minute canary into 3 seconds;
``1`` waits as long as AWS does.

No LocalStack, no moto, no clock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TIME_SCALE_ENV = "PIPEWRIGHT_DEPLOY_TIME_SCALE"
DEFAULT_TIME_SCALE = 200.0


@dataclass(frozen=True)
class Step:
    """At ``minute`` (from the start of AllowTraffic), ``percent`` of traffic is on the target."""

    minute: float
    percent: float


def schedule(routing: dict | None) -> list[Step]:
    """The steps of a ``trafficRoutingConfig`` (none, or ``AllAtOnce``: one step to 100 %)."""
    routing = routing or {}
    kind = routing.get("type") or "AllAtOnce"
    if kind == "AllAtOnce":
        return [Step(0, 100.0)]
    if kind == "TimeBasedCanary":
        canary = routing.get("timeBasedCanary") or {}
        percent = _percent(canary.get("canaryPercentage"))
        interval = _minutes(canary.get("canaryInterval"))
        if percent >= 100:
            return [Step(0, 100.0)]
        return [Step(0, percent), Step(interval, 100.0)]
    if kind == "TimeBasedLinear":
        linear = routing.get("timeBasedLinear") or {}
        percent = _percent(linear.get("linearPercentage"))
        interval = _minutes(linear.get("linearInterval"))
        steps = []
        k = 0
        while True:
            share = min(100.0, percent * (k + 1))
            steps.append(Step(interval * k, share))
            if share >= 100:
                return steps
            k += 1
    raise ValueError(f"unknown traffic routing type {kind!r}")


def _percent(value) -> float:
    percent = float(value or 0)
    if percent <= 0:
        raise ValueError("the traffic percentage must be above 0")
    return percent


def _minutes(value) -> float:
    minutes = float(value or 0)
    if minutes < 0:
        raise ValueError("the traffic interval must not be negative")
    return minutes


def time_scale(environ: dict | None = None) -> float:
    """``PIPEWRIGHT_DEPLOY_TIME_SCALE``: how many times faster than on AWS the waits pass."""
    raw = (environ if environ is not None else os.environ).get(TIME_SCALE_ENV, "").strip()
    if not raw:
        return DEFAULT_TIME_SCALE
    try:
        scale = float(raw)
    except ValueError:
        return DEFAULT_TIME_SCALE
    return scale if scale > 0 else DEFAULT_TIME_SCALE


def seconds(minutes: float, scale: float) -> float:
    """How long ``minutes`` of AWS's time last in the emulator."""
    return minutes * 60.0 / scale
