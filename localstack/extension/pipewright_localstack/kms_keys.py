"""Which KMS key a request names, and whether it exists: pure, so the rule is tested without an
emulator. CodeCommit takes a key id, key ARN, alias name or alias ARN (CreateRepository
``kmsKeyId``: "see KeyId in the Decrypt API description") and refuses one that names no key with
EncryptionKeyNotFoundException ("No encryption key was found.", the botocore model's
documentation of CreateRepository and UpdateRepositoryEncryptionKey)."""

from __future__ import annotations

from collections.abc import Container, Mapping


class KeyNotFound(Exception):
    """The key (or alias) names no key of the account and region."""


def resolve_key_id(
    key: str | None,
    account: str,
    region: str,
    keys: Container[str],
    aliases: Mapping[str, str],
) -> str | None:
    """The id of the key ``key`` names in ``account`` and ``region``, whose key ids are ``keys``
    and whose aliases (``alias/name`` to key id) are ``aliases``; ``None`` for no key. A key or
    alias of this account and region that does not exist raises KeyNotFound; one of another
    account or region is beyond what the emulator can see, and its id is returned unchecked."""
    if not key:
        return None
    local = True
    resource = key
    if key.startswith("arn:"):
        parts = key.split(":", 5)
        if len(parts) < 6:
            raise KeyNotFound(key)
        local = parts[3] == region and parts[4] == account
        resource = parts[5]
    if resource.startswith("alias/"):
        target = aliases.get(resource)
        if target is None:
            if local:
                raise KeyNotFound(key)
            return resource
        return target
    key_id = resource[len("key/") :] if resource.startswith("key/") else resource
    if local and key_id not in keys:
        raise KeyNotFound(key)
    return key_id
