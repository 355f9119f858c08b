"""Helpers shared by the providers: AWS-shaped errors, timestamps, ARNs, tags and backend lookup.

Everything here is plain data handling; nothing talks to the network or to LocalStack's runtime.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
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


def existing_backend(backend_dict: Any, account_id: str, region: str) -> Any:
    """The moto backend for an account and region if it was already created, else ``None``.

    Indexing a moto ``BackendDict`` creates the backend on the fly; reads that only enumerate (the
    tagging API) must not create one backend per service, so this looks without touching.
    """
    account = dict.get(backend_dict, account_id)
    if account is None:
        return None
    return dict.get(account, region)


# Tag helpers. The four services spell tags three ways: CodeCommit uses a map, CodeBuild and
# CodePipeline a list of {key, value}, CodeDeploy a list of {Key, Value}.


def tag_list_to_dict(tags: Iterable[dict] | None, key: str = "key", value: str = "value") -> dict:
    return {tag[key]: tag.get(value) or "" for tag in tags or []}


def tag_dict_to_list(tags: dict, key: str = "key", value: str = "value") -> list[dict]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def reject_system_tags(keys: Iterable[str], code: str) -> None:
    """AWS reserves the ``aws:`` prefix for its own tags; every service refuses it in user tags."""
    for key in keys:
        if key.lower().startswith("aws:"):
            raise aws_error(code, f"The tag key '{key}' uses the reserved prefix 'aws:'")


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
