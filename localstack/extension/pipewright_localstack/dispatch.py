"""Builds the dispatch table LocalStack's skeleton serves for one of our providers.

LocalStack's community edition has no generated API classes for the Code* services, so its usual
``MotoFallbackDispatcher`` (which scans a typed API class) has nothing to scan. Instead, every
operation of the service's botocore model is mapped here either to a method of ours (named like the
operation in snake case, taking ``(context, request)``) or to moto through ``call_moto``.

Errors are normalized on the way out so clients see AWS's error codes and statuses:
moto's ``RESTError`` becomes a ``CommonServiceException`` with moto's code and status, and a
``NotImplementedError`` becomes a 501 answered locally (LocalStack would otherwise look the
operation up in a service catalog it downloads from its vendor).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from botocore import xform_name
from localstack.aws.api import RequestContext, ServiceException
from localstack.aws.skeleton import DispatchTable
from localstack.aws.spec import load_service
from localstack.services.moto import call_moto
from moto.core.exceptions import RESTError

from .common import aws_error

LOG = logging.getLogger(__name__)


class Provider:
    """Base class of our providers: ``service`` names the botocore service model."""

    service: str


def dispatch_table_for(provider: Provider) -> DispatchTable:
    """Maps every operation of ``provider.service`` to an override or to moto."""
    table: DispatchTable = {}
    for operation in load_service(provider.service).operation_names:
        override = getattr(provider, xform_name(operation), None)
        handler = override if callable(override) else _moto_passthrough
        table[operation] = _normalize_errors(provider.service, operation, handler)
    return table


def _moto_passthrough(context: RequestContext, request: Any) -> Any:
    return call_moto(context)


def _normalize_errors(service: str, operation: str, handler: Callable) -> Callable:
    def handle(context: RequestContext, request: Any) -> Any:
        try:
            return handler(context, request if request is not None else {})
        except ServiceException:
            raise
        except RESTError as e:
            raise aws_error(e.error_type, e.message, e.code) from e
        except NotImplementedError as e:
            LOG.info("%s.%s is not emulated: %s", service, operation, e)
            raise aws_error(
                "NotImplementedException",
                f"{service}.{operation} is not emulated by the pipewright LocalStack extension",
                501,
            ) from e

    return handle
