"""The scheduler: one thread that carries out the state machine's commands and feeds back outcomes.

Requests change executions directly under the CodePipeline store's lock (``execution``'s events)
and hand the resulting commands here with ``submit``. This thread alone runs actions: it starts
each through its kind's runner (``actions``), polls the ones still running, and reports each end
to the state machine under the store's lock, which yields the next commands. It never holds the
store's lock while a runner works (runners take other services' locks; a thread holds one store's
lock at a time, ``common``'s rule), so a slow action never blocks a request.

Nothing here imports LocalStack: the store's lock (``locked_runs``), the runners (``kind_for``),
the clock and the ids are given, so tests drive it with a fake clock and fake runners.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from . import artifacts, execution
from .execution import CancelAction, Command, Job, Outcome, StartAction

LOG = logging.getLogger(__name__)


class Clock(Protocol):
    """Time for the executor: ``now`` stamps state, ``wait`` paces the loop."""

    def now(self) -> datetime: ...

    def wait(self, event: threading.Event, seconds: float) -> bool: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(tz=timezone.utc)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        return event.wait(seconds)


class RandomIds:
    """uuid4 for executions, actions and tokens; 7 random characters for artifact keys."""

    def __init__(self, rng: random.Random | None = None):
        self._rng = rng or random.SystemRandom()

    def uuid(self) -> str:
        return str(uuid.uuid4())

    def artifact_id(self) -> str:
        return artifacts.object_id(self._rng)


class ActionKind(Protocol):
    """One runner per action kind: start, poll while running, cancel when abandoned.

    ``start`` and ``poll`` return an ``Outcome`` once the action ended, ``None`` while it runs;
    an exception is the action's failure (its message becomes the error details).
    """

    def start(self, job: Job) -> Outcome | None: ...

    def poll(self, job: Job) -> Outcome | None: ...

    def cancel(self, job: Job) -> None: ...


LockedRuns = Callable[[str, str, str], AbstractContextManager]
"""``locked_runs(account, region, pipeline)``: the pipeline's ``Runs`` (or ``None`` once it is
deleted) with the store's lock held for the ``with`` block."""


@dataclass
class _Running:
    job: Job
    kind: ActionKind


class Scheduler:
    """Runs the actions of every pipeline of the emulator, on one daemon thread."""

    def __init__(
        self,
        locked_runs: LockedRuns,
        kind_for: Callable[[Job], ActionKind],
        clock: Clock | None = None,
        ids: execution.Ids | None = None,
        poll_seconds: float = 0.05,
        tick_seconds: float = 1.0,
    ):
        self._locked_runs = locked_runs
        self._kind_for = kind_for
        self.clock = clock or SystemClock()
        self.ids = ids or RandomIds()
        self._poll_seconds = poll_seconds
        self._tick_seconds = tick_seconds
        self._queue: list[Command] = []
        self._queue_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._running: dict[str, _Running] = {}
        # Pipelines whose approvals may expire: (account, region, name).
        self._places: set[tuple[str, str, str]] = set()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()

    # Called from request threads.

    def submit(self, commands: list[Command]) -> None:
        """Queues commands from an event handled under the store's lock; starts the thread."""
        if not commands:
            return
        with self._queue_lock:
            self._queue.extend(commands)
        self._ensure_thread()
        self._wake.set()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stops the thread (the emulator is stopping); running actions are left as they are."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _ensure_thread(self) -> None:
        with self._thread_lock:
            if self._stopping.is_set() or (self._thread and self._thread.is_alive()):
                return
            self._thread = threading.Thread(
                target=self._loop, name="pipewright-pipeline-executor", daemon=True
            )
            self._thread.start()

    # The scheduler thread.

    def _loop(self) -> None:
        last_tick = time.monotonic()
        while not self._stopping.is_set():
            self.run_once()
            if time.monotonic() - last_tick >= self._tick_seconds:
                last_tick = time.monotonic()
                self.tick()
            self._wake.clear()
            with self._queue_lock:
                pending = bool(self._queue)
            if not pending:
                # Approvals only wait (``polls = False``): they do not keep the loop polling.
                polling = any(getattr(r.kind, "polls", True) for r in self._running.values())
                self.clock.wait(self._wake, self._poll_seconds if polling else self._tick_seconds)

    def run_once(self) -> None:
        """One pass: carry out queued commands, then poll running actions (tests call this)."""
        with self._queue_lock:
            commands, self._queue = self._queue, []
        for command in commands:
            if isinstance(command, StartAction):
                self._start(command.job)
            elif isinstance(command, CancelAction):
                self._cancel(command.action_execution_id)
        for action_id, running in list(self._running.items()):
            try:
                outcome = running.kind.poll(running.job)
            except Exception as e:  # a runner's failure is the action's failure
                outcome = _failure(e)
            if outcome is not None:
                self._running.pop(action_id, None)
                self._report(running.job, outcome)

    def tick(self) -> None:
        """Expires approvals that waited too long, for every pipeline that had one."""
        for place in list(self._places):
            with self._locked_runs(*place) as runs:
                if runs is None:
                    self._places.discard(place)
                    continue
                commands = execution.expire_approvals(runs, self.clock.now(), self.ids)
            self.submit(commands)

    def _start(self, job: Job) -> None:
        # A stop with abandon (or a deleted pipeline) may have ended the action since it was
        # queued: then there is nothing to run.
        with self._locked_runs(job.account_id, job.region, job.pipeline_name) as runs:
            action = None if runs is None else execution.find_action(runs, job)
            if action is None or action.status != execution.IN_PROGRESS:
                return
        if job.action_type_id.get("category") == "Approval":
            self._places.add((job.account_id, job.region, job.pipeline_name))
        try:
            kind = self._kind_for(job)
            outcome = kind.start(job)
        except Exception as e:
            LOG.info("action %s/%s failed to start: %s", job.pipeline_name, job.action_name, e)
            self._report(job, _failure(e))
            return
        if outcome is None:
            self._running[job.action_execution_id] = _Running(job, kind)
            self._note_external_id(job)
        else:
            self._report(job, outcome)

    def _note_external_id(self, job: Job) -> None:
        # A running action shows the id of what it started (a build, a deployment) in
        # GetPipelineState's latestExecution.externalExecutionId while it runs, not only once it
        # ends: a build reads its own pipeline execution that way, matching CODEBUILD_BUILD_ID
        # against externalExecutionId (ActionExecution, CodePipeline API Reference), and a
        # watcher follows the running build's log by it.
        if not job.external_id:
            return
        with self._locked_runs(job.account_id, job.region, job.pipeline_name) as runs:
            action = None if runs is None else execution.find_action(runs, job)
            if action is not None and action.status == execution.IN_PROGRESS:
                action.external_execution_id = job.external_id

    def _cancel(self, action_execution_id: str) -> None:
        running = self._running.pop(action_execution_id, None)
        if running is not None:
            try:
                running.kind.cancel(running.job)
            except Exception:
                LOG.exception("cancelling action %s", running.job.action_name)

    def _report(self, job: Job, outcome: Outcome) -> None:
        with self._locked_runs(job.account_id, job.region, job.pipeline_name) as runs:
            if runs is None:
                return  # the pipeline was deleted
            commands = execution.finish(
                runs,
                job.pipeline_execution_id,
                job.action_execution_id,
                outcome,
                self.clock.now(),
                self.ids,
            )
        with self._queue_lock:
            self._queue.extend(commands)


def _failure(error: Exception) -> Outcome:
    return Outcome(
        status=execution.FAILED,
        error_details={"code": "JobFailed", "message": str(error) or type(error).__name__},
    )
