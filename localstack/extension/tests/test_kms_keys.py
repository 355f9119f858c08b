"""The KMS key rule CodeCommit applies: a key or alias of the account and region that does not
exist is refused (EncryptionKeyNotFoundException on AWS)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipewright_localstack.kms_keys import KeyNotFound, key_arn, resolve_key_id  # noqa: E402

ACCOUNT = "000000000000"
REGION = "us-east-1"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEYS = {KEY}
ALIASES = {"alias/mine": KEY}
OTHER_REGION_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{KEY}"


@pytest.mark.parametrize(
    "named",
    [
        KEY,
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY}",
        "alias/mine",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/mine",
    ],
)
def test_an_existing_key_resolves_to_its_id(named):
    assert resolve_key_id(named, ACCOUNT, REGION, KEYS, ALIASES) == KEY


@pytest.mark.parametrize(
    "named",
    [
        "0000aaaa-00aa-00aa-00aa-000000000000",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000aaaa-00aa-00aa-00aa-000000000000",
        "alias/no-such-key",
        f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/no-such-key",
        "arn:aws:kms:broken",
    ],
)
def test_a_key_that_does_not_exist_is_refused(named):
    with pytest.raises(KeyNotFound):
        resolve_key_id(named, ACCOUNT, REGION, KEYS, ALIASES)


def test_a_key_of_another_account_or_region_is_not_checked():
    other = "arn:aws:kms:eu-west-1:111122223333:key/0000aaaa-00aa-00aa-00aa-000000000000"
    assert resolve_key_id(other, ACCOUNT, REGION, KEYS, ALIASES) == (
        "0000aaaa-00aa-00aa-00aa-000000000000"
    )


def test_no_key_is_none():
    assert resolve_key_id(None, ACCOUNT, REGION, KEYS, ALIASES) is None
    assert resolve_key_id("", ACCOUNT, REGION, KEYS, ALIASES) is None


@pytest.mark.parametrize("named", ["alias/aws/ecr", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/s3"])
def test_an_aws_managed_alias_always_names_a_key(named):
    # AWS creates the service's managed key the first time the service uses it.
    assert resolve_key_id(named, ACCOUNT, REGION, KEYS, ALIASES) is not None


def test_an_existing_alias_of_a_managed_key_resolves_to_its_key():
    aliases = {**ALIASES, "alias/aws/ecr": KEY}
    assert resolve_key_id("alias/aws/ecr", ACCOUNT, REGION, KEYS, aliases) == KEY


@pytest.mark.parametrize(
    ("named", "arn"),
    [
        (KEY, f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY}"),
        ("alias/mine", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/mine"),
        (OTHER_REGION_KEY, OTHER_REGION_KEY),
    ],
)
def test_kms_names_a_key_by_its_arn_in_its_errors(named, arn):
    assert key_arn(named, ACCOUNT, REGION) == arn
