"""Check-then-act races in the extension's providers, called directly from threads.

These need LocalStack and moto, so they run with the emulator's own interpreter
(``.localstack/venv/bin/python -m unittest``, see ``tools/test-emulator``), against the
extension's source tree. Threads switch every 10 microseconds instead of every 5 ms, so a
check-then-create without the store's lock lets two creators through in most rounds (the
LocalStack-tier test over HTTP cannot show it: the window is far smaller than a request).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import unittest
from unittest import mock

from localstack import config
from localstack.aws.api import CommonServiceException, RequestContext

from pipewright_localstack import codecommit

ROUNDS = 50
THREADS = 8


def _context(account: str) -> RequestContext:
    # The providers read only the account and region of a request's context.
    context = RequestContext(request=None)
    context.account_id = account
    context.region = "us-east-1"
    return context


class ConcurrentCreateRepository(unittest.TestCase):
    def setUp(self) -> None:
        self.data = tempfile.TemporaryDirectory(prefix="pipewright-race-")
        patch = mock.patch.object(config.dirs, "data", self.data.name)
        patch.start()
        self.addCleanup(patch.stop)
        self.addCleanup(self.data.cleanup)
        self.interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)
        self.addCleanup(sys.setswitchinterval, self.interval)

    def test_one_name_is_created_once_however_many_ask_at_once(self) -> None:
        # CreateRepository: a second repository with the name is RepositoryNameExistsException
        # (https://docs.aws.amazon.com/codecommit/latest/APIReference/API_CreateRepository.html).
        provider = codecommit.CodeCommitProvider()
        for round_ in range(ROUNDS):
            context = _context(f"{100000000000 + round_:012d}")
            start = threading.Barrier(THREADS)
            created: list[str] = []
            refused: list[str] = []

            def create(
                context: RequestContext = context,
                start: threading.Barrier = start,
                created: list[str] = created,
                refused: list[str] = refused,
            ) -> None:
                start.wait()
                try:
                    answer = provider.create_repository(context, {"repositoryName": "race"})
                    created.append(answer["repositoryMetadata"]["repositoryId"])
                except CommonServiceException as e:
                    refused.append(e.code)

            threads = [threading.Thread(target=create) for _ in range(THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            self.assertEqual(len(created), 1, f"round {round_}: created {created}")
            self.assertEqual(refused, ["RepositoryNameExistsException"] * (THREADS - 1))


if __name__ == "__main__":
    unittest.main()
