"""Where the extension keeps what it adds to moto, and the one rule for touching it.

Each service has one store class, a ``Store`` subclass held in an ``AccountRegionBundle``
(LocalStack's own pattern, ``localstack/services/stores.py``): one store per account and region::

    class CodeCommitStore(Store):
        moto_backends = codecommit_backends
        repositories: dict[str, Repository] = LocalAttribute(default=dict)

    codecommit_stores = AccountRegionBundle("codecommit", CodeCommitStore, validate=False)

    with locked(codecommit_stores, context) as store:
        if name in store.backend.repositories: ...   # check
        store.backend.create_repository(...)          # then act, with no other request between

A store holds plain data (dicts, lists, dataclasses), keyed by something that survives a rename
(a repository or deployment group id) or by a name that cannot change (a pipeline, a project).
``store.backend`` is moto's backend for the store's service, account and region, where the
resources themselves stay. Which lock guards what, and when to take it, is written once, in
``common``'s module docstring; ``locked`` and ``locked_in`` are how a handler takes it.

The stores are made with ``validate=False``: they accept every account and region moto's backends
accept, so an ARN naming another place reaches that place's store as it reached its backend.

The helpers below are the only way the providers reach a backend or a store, and the tag checks
every service shares.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, BaseStore

from .common import aws_error


def backend(backend_dict: Any, context: RequestContext) -> Any:
    """The moto backend of the request's account and region (created on first use).

    Handlers reach their own service's backend as ``store.backend`` (under the lock); this is for
    code that needs another service's backend, or one without a store.
    """
    return backend_in(backend_dict, context.account_id, context.region)


def backend_in(backend_dict: Any, account_id: str, region: str) -> Any:
    """The moto backend of an account and region, for ARNs naming a place of their own."""
    return backend_dict[account_id][region]


def existing_backend(backend_dict: Any, account_id: str, region: str) -> Any:
    """The moto backend for an account and region if it was already created, else ``None``.

    Indexing a moto ``BackendDict`` creates the backend on the fly; reads that only enumerate (the
    tagging API) must not create one backend per service, so this looks without touching.
    """
    account = dict.get(backend_dict, account_id)
    if account is None:
        return None
    return dict.get(account, region)


class Store(BaseStore):
    """Base of the extension's stores: one per service, account and region, with its lock.

    Subclasses name the moto backends their resources live in (``moto_backends``) and declare their
    data as ``LocalAttribute``s.
    """

    moto_backends: ClassVar[Any] = None

    def __init__(self) -> None:
        # Created with the store (the bundle creates stores under its own lock), never lazily:
        # two threads must not each make a lock of their own.
        self.lock = threading.RLock()

    @property
    def backend(self) -> Any:
        """moto's backend for this store's service, account and region."""
        return backend_in(self.moto_backends, self._account_id, self._region_name)

    @property
    def account_id(self) -> str:
        return self._account_id

    @property
    def region(self) -> str:
        return self._region_name


S = TypeVar("S", bound=Store)


def store_in(bundle: AccountRegionBundle[S], account_id: str, region: str) -> S:
    """The store of an account and region (created on first use)."""
    return bundle[account_id][region]


def existing_store(bundle: AccountRegionBundle[S], account_id: str, region: str) -> S | None:
    """The store if something already created it, else ``None`` (for enumerating reads)."""
    account = dict.get(bundle, account_id)
    return None if account is None else dict.get(account, region)


@contextmanager
def locked_in(bundle: AccountRegionBundle[S], account_id: str, region: str) -> Iterator[S]:
    """The store of an account and region, with its lock held for the ``with`` block."""
    store = store_in(bundle, account_id, region)
    with store.lock:
        yield store


@contextmanager
def locked(bundle: AccountRegionBundle[S], context: RequestContext) -> Iterator[S]:
    """The store of the request's account and region, with its lock held for the ``with`` block."""
    with locked_in(bundle, context.account_id, context.region) as store:
        yield store


# Tag checks. AWS reserves the ``aws:`` prefix for its own tags and every service refuses it in
# user tags, and a resource has at most 50 user tags ("Tagging your AWS resources",
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html, and each service's
# TagResource reference); each service has its own error code and wording for them.

MAX_TAGS = 50


def reject_system_tags(keys: Iterable[str], code: str, message: str | None = None) -> None:
    """Raises ``code`` for the first key with the reserved ``aws:`` prefix (any case)."""
    for key in keys:
        if str(key).lower().startswith("aws:"):
            raise aws_error(code, message or f"The tag key '{key}' uses the reserved prefix 'aws:'")


def tag_list_to_dict(tags: Iterable[dict] | None, key: str = "key", value: str = "value") -> dict:
    """A tag list (``[{key, value}]``, spelled per service) as a map; a missing value is ``""``."""
    return {tag[key]: tag.get(value) or "" for tag in tags or []}


def check_tag_count(existing: Iterable[str], added: Iterable[str], code: str, message: str) -> None:
    """Raises ``code`` when adding ``added`` keys to ``existing`` ones passes the limit of 50.

    A key given again replaces its value, so it counts once.
    """
    if len(set(existing) | set(added)) > MAX_TAGS:
        raise aws_error(code, message)
