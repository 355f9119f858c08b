"""Builds that really run: the emulator's CodeBuild runs a project's buildspec on the host.

``buildspec`` parses and checks the buildspec, ``runner`` runs a build's phases in one shell,
``artifacts`` selects and zips output files, ``reports`` reads JUnit and Cobertura reports. The
CodeBuild provider (``..codebuild``) makes the build's record, hands the runner what it needs to
reach the emulator's other services, and serves the API.

Builds run in background threads, at most ``MAX_PARALLEL`` at once (``PIPEWRIGHT_MAX_BUILDS``
sets it); the others wait in ``QUEUED``, as they do when an account reaches its concurrent build
limit.
"""

from __future__ import annotations

import contextlib
import os
import threading

MAX_PARALLEL = max(1, int(os.environ.get("PIPEWRIGHT_MAX_BUILDS") or 8))
_SLOTS = threading.BoundedSemaphore(MAX_PARALLEL)


@contextlib.contextmanager
def queue_slot(build):
    """Waits for a free slot (the build stays ``QUEUED``), or until the build is stopped."""
    while not _SLOTS.acquire(timeout=0.05):
        if build.stop_requested.is_set():
            yield
            return
    try:
        yield
    finally:
        _SLOTS.release()


def launch(build, services) -> threading.Thread:
    """Runs the build in a background thread."""
    from .runner import Runner

    thread = threading.Thread(
        target=Runner(build, services).run, name=f"build-{build.uuid}", daemon=True
    )
    thread.start()
    return thread
