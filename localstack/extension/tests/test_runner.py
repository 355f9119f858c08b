"""The scheduler, with fake action runners and an in-memory store."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from conftest import FakeClock, FakeIds, action, pipeline

from pipewright_localstack.executor import execution as ex
from pipewright_localstack.executor.runner import Scheduler


class Instant:
    def __init__(self, status=ex.SUCCEEDED):
        self.status = status
        self.started = []

    def start(self, job):
        self.started.append(job.action_name)
        return ex.Outcome(self.status, external_execution_id=f"ext-{job.action_name}")

    def poll(self, job):
        return None

    def cancel(self, job):
        pass


class AfterPolls:
    """Ends after ``polls`` polls."""

    def __init__(self, polls):
        self.polls = polls
        self.cancelled = []

    def start(self, job):
        return None

    def poll(self, job):
        self.polls -= 1
        return ex.Outcome(ex.SUCCEEDED) if self.polls <= 0 else None

    def cancel(self, job):
        self.cancelled.append(job.action_name)


class StartsSomething(AfterPolls):
    """Starts an external run (a build) and ends after ``polls`` polls."""

    def start(self, job):
        job.external_id = f"shop-build:{job.action_name}-1"
        return None


class Raises:
    def start(self, job):
        raise RuntimeError("project shop-build does not exist")

    def poll(self, job):
        return None

    def cancel(self, job):
        pass


def setup(kinds):
    declaration = pipeline(
        ("Source", [action("Checkout", "Source", "S3")]),
        ("Build", [action("Build")]),
    )
    runs = ex.Runs("shop")
    lock = threading.RLock()

    @contextmanager
    def locked_runs(account, region, name):
        with lock:
            yield runs if name == "shop" else None

    scheduler = Scheduler(
        locked_runs, lambda job: kinds[job.action_name], clock=FakeClock(), ids=FakeIds()
    )
    with lock:
        run, commands = ex.start(
            runs,
            account_id="111111111111",
            region="eu-west-1",
            declaration=declaration,
            trigger={},
            variables_given=None,
            source_overrides=None,
            client_request_token=None,
            now=scheduler.clock.now(),
            ids=scheduler.ids,
        )
    return scheduler, run, commands


def drive(scheduler, passes=10):
    for _ in range(passes):
        scheduler.run_once()


def test_the_scheduler_drives_an_execution_to_its_end():
    kinds = {"Checkout": Instant(), "Build": AfterPolls(3)}
    scheduler, run, commands = setup(kinds)
    scheduler._queue.extend(commands)  # submit() would also start the thread
    drive(scheduler)
    assert run.status == ex.SUCCEEDED
    assert run.stages[0].latest["Checkout"].external_execution_id == "ext-Checkout"


def test_a_runner_that_raises_fails_its_action_with_the_message():
    scheduler, run, commands = setup({"Checkout": Raises(), "Build": Instant()})
    scheduler._queue.extend(commands)
    drive(scheduler)
    assert run.status == ex.FAILED
    details = run.stages[0].latest["Checkout"].error_details
    assert details == {"code": "JobFailed", "message": "project shop-build does not exist"}


def test_cancel_tells_the_runner_and_stops_polling_it():
    build = AfterPolls(1000)
    scheduler, run, commands = setup({"Checkout": Instant(), "Build": build})
    scheduler._queue.extend(commands)
    drive(scheduler, 2)
    with scheduler._locked_runs("a", "r", "shop") as runs:
        stopped = ex.stop(
            runs,
            run.pipeline_execution_id,
            abandon=True,
            reason=None,
            now=scheduler.clock.now(),
            ids=scheduler.ids,
        )
    scheduler._queue.extend(stopped)
    drive(scheduler, 2)
    assert build.cancelled == ["Build"]
    assert run.status == ex.STOPPED
    assert scheduler._running == {}


def test_the_thread_ends_on_shutdown():
    scheduler, run, commands = setup({"Checkout": Instant(), "Build": Instant()})
    scheduler.submit(commands)
    scheduler.shutdown(timeout=5)
    assert scheduler._thread is not None and not scheduler._thread.is_alive()


def test_an_action_abandoned_before_its_start_is_not_run():
    checkout = Instant()
    scheduler, run, commands = setup({"Checkout": checkout, "Build": Instant()})
    with scheduler._locked_runs("a", "r", "shop") as runs:
        ex.stop(
            runs,
            run.pipeline_execution_id,
            abandon=True,
            reason=None,
            now=scheduler.clock.now(),
            ids=scheduler.ids,
        )
    scheduler._queue.extend(commands)
    drive(scheduler)
    assert checkout.started == []
    assert run.status == ex.STOPPED


def test_a_running_action_shows_the_id_of_what_it_started_before_it_ends():
    scheduler, run, commands = setup({"Checkout": Instant(), "Build": StartsSomething(1000)})
    scheduler._queue.extend(commands)
    drive(scheduler, 3)
    build = run.stages[1].latest["Build"]
    assert build.status == ex.IN_PROGRESS
    assert build.external_execution_id == "shop-build:Build-1"
