"""Unit tests of the executor's pure modules: no LocalStack, no moto, a fake clock.

``tools/test-python`` runs them from a pinned pytest environment, with the extension's folder on
``sys.path`` so ``pipewright_localstack.executor`` imports without installing anything.
"""

from __future__ import annotations

import itertools
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipewright_localstack.executor import execution  # noqa: E402


class FakeIds:
    """Predictable ids: u1, u2, ... and artifact ids a000001, ..."""

    def __init__(self):
        self._n = itertools.count(1)

    def uuid(self) -> str:
        return f"u{next(self._n)}"

    def artifact_id(self) -> str:
        return f"a{next(self._n):06d}"


class FakeClock:
    """Time that moves only when told."""

    def __init__(self):
        self.time = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.time

    def advance(self, **delta) -> datetime:
        self.time += timedelta(**delta)
        return self.time

    def wait(self, event, seconds):  # runner.Clock
        self.advance(seconds=seconds)
        return event.is_set()


def action(name, category="Build", provider="CodeBuild", run_order=1, **extra):
    declared = {
        "name": name,
        "actionTypeId": {
            "category": category,
            "owner": "AWS",
            "provider": provider,
            "version": "1",
        },
        "runOrder": run_order,
        "configuration": extra.pop("configuration", {}),
        "inputArtifacts": [{"name": n} for n in extra.pop("inputs", [])],
        "outputArtifacts": [{"name": n} for n in extra.pop("outputs", [])],
    }
    declared.update(extra)
    return declared


def pipeline(*stages, mode="SUPERSEDED", name="shop", variables=None):
    return {
        "name": name,
        "version": 1,
        "roleArn": "arn:aws:iam::111111111111:role/pipeline",
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "executionMode": mode,
        "pipelineType": "V2",
        "variables": variables or [],
        "stages": [{"name": n, "actions": list(a)} for n, a in stages],
    }


class Harness:
    """One pipeline's runs, started and finished through the state machine's events."""

    def __init__(self, declaration):
        self.declaration = declaration
        self.runs = execution.Runs(declaration["name"])
        self.clock = FakeClock()
        self.ids = FakeIds()
        self.started: list[execution.Job] = []
        self.cancelled: list[str] = []

    def _take(self, commands):
        for command in commands:
            if isinstance(command, execution.StartAction):
                self.started.append(command.job)
            else:
                self.cancelled.append(command.action_execution_id)
        return commands

    def start(self, **kwargs):
        run, commands = execution.start(
            self.runs,
            account_id="111111111111",
            region="eu-west-1",
            declaration=self.declaration,
            trigger={"triggerType": "StartPipelineExecution"},
            variables_given=kwargs.pop("variables", None),
            source_overrides=kwargs.pop("source_revisions", None),
            client_request_token=kwargs.pop("token", None),
            now=self.clock.now(),
            ids=self.ids,
        )
        self._take(commands)
        return run

    def job(self, run, action_name):
        """The latest job started for an action of an execution."""
        return [
            j
            for j in self.started
            if j.action_name == action_name and j.pipeline_execution_id == run.pipeline_execution_id
        ][-1]

    def running(self, run=None):
        return sorted(
            a.action_name
            for e in self.runs.executions
            if run is None or e is run
            for a in e.actions
            if a.status == execution.IN_PROGRESS
        )

    def finish(self, run, action_name, status=execution.SUCCEEDED, **outcome):
        self.clock.advance(seconds=1)
        job = self.job(run, action_name)
        return self._take(
            execution.finish(
                self.runs,
                run.pipeline_execution_id,
                job.action_execution_id,
                execution.Outcome(status=status, **outcome),
                self.clock.now(),
                self.ids,
            )
        )

    def event(self, function, *args, **kwargs):
        self.clock.advance(seconds=1)
        return self._take(function(self.runs, *args, now=self.clock.now(), ids=self.ids, **kwargs))


@pytest.fixture
def clock():
    return FakeClock()
