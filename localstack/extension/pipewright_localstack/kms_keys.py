"""Which KMS key a request names, and whether it exists: pure (``resolve_key_id``), so the rule
is tested without an emulator, and read from the emulator's KMS (``key_id_in_emulator``).

Where AWS checks the key, and how it refuses one that names no key of the account and region:

- CodeCommit takes a key id, key ARN, alias name or alias ARN (CreateRepository ``kmsKeyId``:
  "see KeyId in the Decrypt API description") and refuses one that names no key with
  EncryptionKeyNotFoundException ("No encryption key was found.", the botocore model's
  documentation of CreateRepository and UpdateRepositoryEncryptionKey).
- CloudWatch Logs takes a key ARN at CreateLogGroup and AssociateKmsKey: "If you attempt to
  associate a KMS key with the log group but the KMS key does not exist or the KMS key is
  disabled, you receive an InvalidParameterException error" (the botocore model's documentation
  of both); the message is the one AWS answers ("The specified KMS key does not exist or is not
  allowed to be used with Arn '<log group ARN>'", hashicorp/terraform-provider-aws#29282).
- ECR takes an alias, key id or key ARN with the KMS encryption types: "The key must exist in
  the same Region as the repository" (EncryptionConfiguration ``kmsKey``), refused with
  KmsException, "The operation failed due to a KMS exception", whose message is KMS's own
  NotFoundException ("Key '<ARN>' does not exist", boto/botocore#2107).
- S3 does not check the key at PutBucketEncryption ("Amazon S3 doesn't validate the KMS key ID
  provided in PutBucketEncryption requests", the botocore model's documentation of
  PutBucketEncryption); an object written under that default encryption fails instead, with
  ``KMS.NotFoundException`` (aws/aws-cli#4507).
- CodeBuild does not check a project's ``encryptionKey`` at CreateProject or UpdateProject (their
  errors are InvalidInputException, ResourceAlreadyExistsException and
  AccountLimitExceededException, none about keys); a build whose artifacts it encrypts fails in
  UPLOAD_ARTIFACTS with "KMS.NotFoundException: Key '<ARN>' does not exist"
  (awsdocs/aws-cloudformation-user-guide#645), as the build runner does here.

An AWS managed key's alias (``alias/aws/<service>``) always names a key: AWS creates the key the
first time a service uses it ("This CMK is created in your account the first time", ECR User
Guide, "Encryption at rest")."""

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
    if resource.startswith("alias/aws/"):
        return aliases.get(resource, resource)
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


def key_id_in_emulator(key: str | None, account: str, region: str) -> str | None:
    """``resolve_key_id`` against the keys and aliases of the emulator's own KMS."""
    if not key:
        return None
    from localstack.services.kms.models import kms_stores

    kms = kms_stores[account][region]
    aliases = {name: alias.metadata["TargetKeyId"] for name, alias in kms.aliases.items()}
    return resolve_key_id(key, account, region, kms.keys, aliases)


def key_arn(key: str, account: str, region: str, partition: str = "aws") -> str:
    """The ARN KMS names ``key`` by in its own errors: as given when an ARN, else this account's
    and region's ``key/<id>`` or ``alias/<name>``."""
    if key.startswith("arn:"):
        return key
    resource = key if key.startswith(("alias/", "key/")) else f"key/{key}"
    return f"arn:{partition}:kms:{region}:{account}:{resource}"
