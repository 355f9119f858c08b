"""CloudWatch Logs: LocalStack's own provider, made as strict as AWS where pipewright relies on it.

Selected with ``PROVIDER_OVERRIDE_LOGS=pipewright`` (the launcher sets it). Everything else is
LocalStack's (log events, streams, subscription filters, which CodeBuild's runner writes to).
LocalStack keeps log groups in moto's backend and their tags in its own ``logs_stores`` (``TAGS``,
by the group's ARN without ``:*``). Where LocalStack 4.13 differs from AWS:

- ``TagResource`` on a group created without tags dropped the tags (it updated a fresh dict that
  was never stored), and tagged or listed the tags of a group that does not exist; AWS answers
  ``ResourceNotFoundException`` (CloudWatch Logs API Reference, ``TagResource``,
  ``ListTagsForResource``, ``UntagResource``).
- ``DeleteLogGroup`` left the group's tags behind, so a group created again under the name
  inherited them; on AWS a new group has only the tags it is created with.
- ``CreateLogGroup`` accepted any name; AWS takes 1 to 512 characters matching
  ``[\\.\\-_/#A-Za-z0-9]+`` (the service model's ``LogGroupName``).
- ``PutRetentionPolicy`` accepted any number; AWS takes only the values of the service model's
  ``Days`` (1, 3, 5, ... 3653) and answers ``InvalidParameterException`` otherwise.
- ``AssociateKmsKey`` and ``DisassociateKmsKey`` did not exist (moto has neither); AWS sets and
  removes the group's ``kmsKeyId`` (API Reference, ``AssociateKmsKey``: "This must be a
  symmetric KMS key"; the ARN of a key, not of an alias).

One lock serializes these handlers' check-then-act on the backend and the tag store.
"""

from __future__ import annotations

import re
import threading

from localstack.aws.api import RequestContext
from localstack.services.logs.models import get_moto_logs_backend, logs_stores
from localstack.services.logs.provider import LogsProvider
from localstack.utils.aws import arns

from .common import aws_error

# PutRetentionPolicy, retentionInDays: the service model's enum of days.
RETENTION_DAYS = frozenset(
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922]
    + [3288, 3653]
)
LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
# AssociateKmsKey, kmsKeyId: "the Amazon Resource Name (ARN) of the KMS key"; 1-256 characters.
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+")

_LOCK = threading.RLock()


def _not_found() -> Exception:
    return aws_error("ResourceNotFoundException", "The specified log group does not exist.")


def _group_name_of(resource_arn: str) -> str | None:
    """The log group an ARN names (``arn:<p>:logs:<r>:<a>:log-group:<name>``), else ``None``."""
    parts = (resource_arn or "").split(":", 6)
    if len(parts) == 7 and parts[2] == "logs" and parts[5] == "log-group":
        return parts[6]
    return None


def _tags(context: RequestContext) -> dict:
    return logs_stores[context.account_id][context.region].TAGS


def _check_key_exists(context: RequestContext, key: str | None, log_group_name: str) -> None:
    """A key of this account and region that does not exist is refused (see ``kms_keys``)."""
    from .kms_keys import KeyNotFound, key_id_in_emulator

    try:
        key_id_in_emulator(key, context.account_id, context.region)
    except KeyNotFound:
        arn = (
            f"arn:{context.partition}:logs:{context.region}:{context.account_id}"
            f":log-group:{log_group_name}"
        )
        raise aws_error(
            "InvalidParameterException",
            f"The specified KMS key does not exist or is not allowed to be used with Arn '{arn}'",
        ) from None


class PipewrightLogsProvider(LogsProvider):
    """LocalStack's CloudWatch Logs provider with the operations above made AWS-shaped."""

    def create_log_group(
        self, context: RequestContext, log_group_name: str, kms_key_id=None, tags=None, **kwargs
    ) -> None:
        if not LOG_GROUP_NAME.fullmatch(log_group_name or ""):
            raise aws_error(
                "InvalidParameterException",
                f"1 validation error detected: Value '{log_group_name}' at 'logGroupName' failed "
                "to satisfy constraint: Member must satisfy regular expression pattern: "
                "[\\.\\-_/#A-Za-z0-9]+",
            )
        if kms_key_id is not None and not KMS_KEY_ARN.fullmatch(kms_key_id):
            raise aws_error(
                "InvalidParameterException", "Specified KMS key must be the ARN of a KMS key."
            )
        _check_key_exists(context, kms_key_id, log_group_name)
        with _LOCK:
            super().create_log_group(
                context, log_group_name, kms_key_id=kms_key_id, tags=tags, **kwargs
            )

    def delete_log_group(self, context: RequestContext, log_group_name: str, **kwargs) -> None:
        with _LOCK:
            backend = get_moto_logs_backend(context.account_id, context.region)
            if log_group_name not in backend.groups:
                raise _not_found()
            backend.delete_log_group(log_group_name)
            _tags(context).pop(self._arn(context, log_group_name), None)

    def put_retention_policy(
        self, context: RequestContext, log_group_name: str, retention_in_days: int, **kwargs
    ) -> None:
        if retention_in_days not in RETENTION_DAYS:
            raise aws_error(
                "InvalidParameterException",
                f"1 validation error detected: Value '{retention_in_days}' at 'retentionInDays' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(str(d) for d in sorted(RETENTION_DAYS))}]",
            )
        with _LOCK:
            self._group(context, log_group_name).set_retention_policy(retention_in_days)

    def delete_retention_policy(
        self, context: RequestContext, log_group_name: str, **kwargs
    ) -> None:
        with _LOCK:
            self._group(context, log_group_name).set_retention_policy(None)

    def associate_kms_key(
        self,
        context: RequestContext,
        kms_key_id: str,
        log_group_name: str | None = None,
        resource_identifier: str | None = None,
        **kwargs,
    ) -> None:
        if resource_identifier is not None:
            # Query-result encryption: not a log group's key, and not used by pipewright.
            raise NotImplementedError("AssociateKmsKey with resourceIdentifier")
        if not KMS_KEY_ARN.fullmatch(kms_key_id or ""):
            raise aws_error(
                "InvalidParameterException", "Specified KMS key must be the ARN of a KMS key."
            )
        with _LOCK:
            group = self._group(context, log_group_name)
        _check_key_exists(context, kms_key_id, log_group_name)
        with _LOCK:
            group.kms_key_id = kms_key_id

    def disassociate_kms_key(
        self,
        context: RequestContext,
        log_group_name: str | None = None,
        resource_identifier: str | None = None,
        **kwargs,
    ) -> None:
        if resource_identifier is not None:
            raise NotImplementedError("DisassociateKmsKey with resourceIdentifier")
        with _LOCK:
            self._group(context, log_group_name).kms_key_id = None

    def tag_resource(self, context: RequestContext, resource_arn: str, tags: dict, **kwargs):
        with _LOCK:
            self._group_by_arn(context, resource_arn)
            _tags(context).setdefault(resource_arn, {}).update(tags or {})

    def untag_resource(
        self, context: RequestContext, resource_arn: str, tag_keys: list, **kwargs
    ) -> None:
        with _LOCK:
            self._group_by_arn(context, resource_arn)
            stored = _tags(context).get(resource_arn, {})
            for key in tag_keys or []:
                stored.pop(key, None)

    def list_tags_for_resource(self, context: RequestContext, resource_arn: str, **kwargs):
        with _LOCK:
            self._group_by_arn(context, resource_arn)
            return {"tags": dict(_tags(context).get(resource_arn, {}))}

    @staticmethod
    def _arn(context: RequestContext, name: str) -> str:
        return arns.log_group_arn(
            group_name=name, account_id=context.account_id, region_name=context.region
        )

    @staticmethod
    def _group(context: RequestContext, name: str | None):
        group = get_moto_logs_backend(context.account_id, context.region).groups.get(name or "")
        if group is None:
            raise _not_found()
        return group

    def _group_by_arn(self, context: RequestContext, resource_arn: str):
        name = _group_name_of(resource_arn)
        if name is None:
            # Destinations and the other taggable kinds are not emulated strictly; pipewright
            # tags only log groups.
            raise aws_error(
                "InvalidParameterException", f"Invalid resource ARN for tagging: {resource_arn}"
            )
        return self._group(context, name)


def tagged_groups(account_id: str, region: str):
    """(ARN, tags) of every log group of the account and region that has tags."""
    from moto.logs.models import logs_backends

    if account_id not in logs_backends or region not in logs_backends[account_id]:
        return []
    backend = logs_backends[account_id][region]
    store_tags = logs_stores[account_id][region].TAGS
    with _LOCK:
        out = []
        for name in list(backend.groups):
            arn = arns.log_group_arn(group_name=name, account_id=account_id, region_name=region)
            tags = dict(store_tags.get(arn, {}))
            if tags:
                out.append((arn, tags))
        return out
