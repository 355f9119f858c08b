"""CodeCommit's ``CodeCommit Repository State Change`` events, put on the default EventBridge bus.

AWS sends one event per reference a push, a commit or a branch operation moves
("Monitoring CodeCommit events in Amazon EventBridge and Amazon CloudWatch Events",
https://docs.aws.amazon.com/codecommit/latest/userguide/monitoring-events.html): source
``aws.codecommit``, the repository's ARN as the only resource, and a detail naming the event
(``referenceCreated``, ``referenceUpdated``, ``referenceDeleted``), the reference and the commits;
``oldCommitId`` is absent from a creation and ``commitId`` from a deletion, as in AWS's examples.
pipewright's change-detection rule matches these, and its target starts the pipeline.

The event goes through LocalStack's own EventBridge (an internal client on the gateway), so rules,
patterns and targets behave as for any other event. Delivery is best effort, as on AWS: a failure
is logged, and never fails the push or the API call that moved the branch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

LOG = logging.getLogger(__name__)

DETAIL_TYPE = "CodeCommit Repository State Change"


@dataclass(frozen=True)
class RefChange:
    """A reference that moved: ``old`` None when it was created, ``new`` None when deleted."""

    ref: str
    old: str | None
    new: str | None


def changes_between(before: dict[str, str], after: dict[str, str]) -> list[RefChange]:
    """The references that differ between two snapshots (full ref name to object id)."""
    moved = []
    for ref in sorted(set(before) | set(after)):
        old, new = before.get(ref), after.get(ref)
        if old != new:
            moved.append(RefChange(ref, old, new))
    return moved


def detail(repository_name: str, repository_id: str, change: RefChange, caller: str) -> dict | None:
    """The event's detail, or None for a reference CodeCommit reports no event for."""
    if change.ref.startswith("refs/heads/"):
        kind, name = "branch", change.ref[len("refs/heads/") :]
    elif change.ref.startswith("refs/tags/"):
        kind, name = "tag", change.ref[len("refs/tags/") :]
    else:
        return None
    if change.old is None:
        event = "referenceCreated"
    elif change.new is None:
        event = "referenceDeleted"
    else:
        event = "referenceUpdated"
    body = {
        "callerUserArn": caller,
        "event": event,
        "referenceType": kind,
        "referenceName": name,
        "referenceFullName": change.ref,
        "repositoryName": repository_name,
        "repositoryId": repository_id,
    }
    if change.new is not None:
        body["commitId"] = change.new
    if change.old is not None:
        body["oldCommitId"] = change.old
    return body


def entries(
    account_id: str,
    repository_name: str,
    repository_id: str,
    repository_arn: str,
    changes: list[RefChange],
) -> list[dict]:
    """PutEvents entries for the changes (at most 10 per call, EventBridge's limit)."""
    # No IAM identity is known to the emulator; the account's root is who acted.
    caller = f"arn:aws:iam::{account_id}:root"
    found = []
    for change in changes:
        body = detail(repository_name, repository_id, change, caller)
        if body is not None:
            found.append(
                {
                    "Source": "aws.codecommit",
                    "DetailType": DETAIL_TYPE,
                    "Resources": [repository_arn],
                    "Detail": json.dumps(body),
                }
            )
    return found


def emit(
    account_id: str,
    region: str,
    repository_name: str,
    repository_id: str,
    repository_arn: str,
    changes: list[RefChange],
) -> None:
    """Puts one event per moved reference on the account's default bus in the region."""
    batch = entries(account_id, repository_name, repository_id, repository_arn, changes)
    if not batch:
        return
    try:
        from localstack.aws.connect import connect_to

        client = connect_to(aws_access_key_id=account_id, region_name=region).events
        for start in range(0, len(batch), 10):
            result = client.put_events(Entries=batch[start : start + 10])
            if result.get("FailedEntryCount"):
                LOG.warning("EventBridge refused CodeCommit events: %s", result.get("Entries"))
    except Exception:
        LOG.exception("could not put CodeCommit events for %s on EventBridge", repository_name)
