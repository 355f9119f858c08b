"""Helpers shared by the providers: AWS-shaped errors, timestamps, ARNs and pagination.

Everything here is plain data handling; nothing talks to the network or to LocalStack's runtime.
Backend and store lookup, the lock and the tag checks every service shares are in ``state``.

State and locks (the one discipline every provider follows; ``state`` implements it):

- The resources are moto's: repositories, projects, applications, deployment groups and pipelines
  stay in moto's backends, so moto's own operations (builds, deployments) see them.
- Everything the extension adds lives in one LocalStack store per service, per account and region:
  a ``state.Store`` subclass in an ``AccountRegionBundle`` (``codecommit_stores``,
  ``codebuild_stores``, ``codedeploy_stores``, ``codepipeline_stores``), holding plain data and
  dataclasses. Nothing is set as an attribute on a moto object.
- Each store has one re-entrant lock, ``store.lock``, made with the store. It guards that store's
  data and the moto backend of the same service, account and region.
- Every handler takes it (``with state.locked(bundle, context) as store:``, or ``locked_in`` with
  the account and region an ARN names) around each check-then-act: a name checked free is created,
  a count checked is the count written, a document read is the one written back, with no other
  request in between. Reads take it too, so they never see half of a change.
- Checks that read no state (request validation, IAM trust policies) run before it is taken.
- A thread holds one store's lock at a time (the tagging API reads the services one after the
  other; EventBridge's delivery thread takes CodePipeline's like a request does), so there is no
  lock order to respect and no deadlock.
- moto's own operations (through ``call_moto``) do not take it; they only read, and a handler makes
  a resource reachable in moto's collections only complete, under the lock.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timezone
from typing import Any

from localstack.aws.api import CommonServiceException


def aws_error(code: str, message: str, status: int = 400) -> CommonServiceException:
    """An error serialized like AWS's own: ``code`` is the exception name from the service model.

    The Rust SDK and boto3 pick the error variant from that code, so it must match the model's shape
    name exactly (for example ``RepositoryDoesNotExistException``).
    """
    return CommonServiceException(code, message, status_code=status, sender_fault=status < 500)


def now() -> datetime:
    """Current time, timezone-aware, so LocalStack's serializer writes the protocol's form."""
    return datetime.now(tz=timezone.utc)


def as_datetime(value: Any) -> Any:
    """Turns moto's ISO-8601 strings (and epoch numbers) into datetimes; leaves anything else alone.

    moto keeps creation times as strings; LocalStack's serializer only converts ``datetime`` values
    into the epoch-seconds form the JSON protocols use, so we convert before returning.
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return value


class Arn:
    """The parts of an ARN: ``arn:partition:service:region:account:resource``."""

    __slots__ = ("partition", "service", "region", "account", "resource")

    def __init__(self, partition: str, service: str, region: str, account: str, resource: str):
        self.partition = partition
        self.service = service
        self.region = region
        self.account = account
        self.resource = resource

    @classmethod
    def parse(cls, value: str | None) -> Arn | None:
        """``None`` for anything that is not an ARN, so callers raise their own error code."""
        if not value or not value.startswith("arn:"):
            return None
        parts = value.split(":", 5)
        if len(parts) != 6 or not parts[2]:
            return None
        return cls(parts[1], parts[2], parts[3], parts[4], parts[5])


def paginate(items: list, token: str | None, page_size: int | None, default_size: int):
    """Slices ``items`` for one page; returns ``(page, next_token or None)``.

    The token is an opaque offset, enough for an emulator whose lists are sorted and small.
    """
    start = 0
    if token:
        try:
            start = int(json.loads(base64.urlsafe_b64decode(token.encode()).decode())["offset"])
        except (ValueError, KeyError, TypeError):
            start = -1
    size = page_size or default_size
    if start < 0:
        return None, None
    page = items[start : start + size]
    if start + size < len(items):
        next_token = base64.urlsafe_b64encode(
            json.dumps({"offset": start + size}).encode()
        ).decode()
        return page, next_token
    return page, None


NAME_100 = re.compile(r"^[\w.-]{1,100}$")
