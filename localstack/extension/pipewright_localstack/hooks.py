"""Start-up hooks (group ``localstack.hooks.on_infra_start``), run before the gateway listens.

- ``pipewright_serve_on_loopback``: LocalStack's twisted server ignores the host part of
  ``GATEWAY_LISTEN`` for IPv4 and listens on every interface; ours listens on exactly the
  configured address (the launcher passes ``127.0.0.1``). It serves plain HTTP only: the emulator
  is reached at ``http://127.0.0.1:<port>``, and LocalStack 4.13's self-signed certificate
  generator no longer works with the pinned pyOpenSSL (it calls an API pyOpenSSL removed).
- ``pipewright_no_s3_hostname_lookup``: LocalStack checks once whether ``s3.<its host name>``
  resolves, by asking DNS, which leaves the machine; the answer is fixed to "no" (internal S3
  clients then use ``localhost``), so the emulator makes no DNS query at all.
- ``pipewright_s3_storage_in_state_dir``: S3 object data would go to a fixed folder in the system
  temp dir; it goes under LocalStack's own temp dir instead, which the launcher places in the
  instance's state folder (and which LocalStack clears on start and stop).
- ``pipewright_git_http``: serves CodeCommit repositories to the git CLI from the gateway
  (``githttp``), and removes git data an earlier run of this instance left: repositories live in
  moto's memory, so those folders belong to nothing now.
- ``pipewright_owner_watchdog``: the emulator shuts down by itself shortly after every process
  listed in its instance's ``owners`` file (written by the launcher's ``--owner-pid``) is gone, so a
  test run that panics or is killed leaves no emulator behind. Several test processes can share
  one instance; an instance without owners runs until stopped.
- ``pipewright_pipeline_event_target``: lets EventBridge rules target pipelines (see
  ``events_target``).
- ``pipewright_quiet_request_log``: LocalStack logs a line per request at INFO, from every
  gateway thread through one locked handler: about a fifth of its CPU time under the many parallel
  calls of an apply. Those request lines are dropped unless the launcher turned on the debug log
  (``PIPEWRIGHT_LOCALSTACK_DEBUG=1``); warnings and errors are still logged.
- ``pipewright_stop_executor`` (``on_infra_shutdown``): the pipeline executor's scheduler thread
  stops when the emulator does.
- ``pipewright_s3_buckets_private_to_their_account``: LocalStack serves a bucket to every account
  (its S3 looks a name up in every account's store), so a bucket another account owns read as
  one of ours. On AWS a bucket is private to the account that owns it unless a bucket policy or
  ACL grants more (Amazon S3 User Guide, "Identity and Access Management for Amazon S3"; the
  HeadBucket API reference: "403 Forbidden" when the bucket exists and the caller has no
  permission). Requests on another account's bucket answer AccessDenied (403); the emulator has
  no cross-account grants, so it is stricter than AWS there, never laxer.
- ``pipewright_iam_role_paths``: IAM role paths as AWS has them. ``CreateRole`` refuses a path
  that does not start and end with ``/`` or is longer than 512 characters (IAM API reference,
  CreateRole: ``Path``, pattern ``(\u002f)|(\u002f[\u0021-\u007e]+\u002f)``), and
  ``ListRoles`` pages as AWS does (ListRoles: ``MaxItems`` defaults to 100, ``IsTruncated`` and
  ``Marker`` say there is more) and refuses a ``PathPrefix`` that does not start with ``/``.
  LocalStack 4.13 accepts any path and returns every role in one page, so a caller that reads
  only the first page, or writes a malformed path, passed here and failed on AWS.
- ``pipewright_stop_deployments`` (``on_infra_shutdown``): running CodeDeploy deployments stop,
  and the hook scripts they run are killed (``deployments.server``).
- ``pipewright_stop_builds`` (``on_infra_shutdown``): running builds' process groups are killed
  when the emulator stops, so no build command outlives it.
- ``pipewright_s3_default_key_checked_at_write``: S3 takes any key id at PutBucketEncryption
  ("Amazon S3 doesn't validate the KMS key ID provided in PutBucketEncryption requests", the
  botocore model's documentation of PutBucketEncryption), and an object written under that
  default encryption fails with ``KMS.NotFoundException`` when the key does not exist
  (aws/aws-cli#4507). LocalStack 4.13 checks only a key the write itself names
  (``SSEKMSKeyId``), so a bucket whose default key names nothing took every object; the
  bucket's default key is now checked the same way at PutObject, CopyObject and
  CreateMultipartUpload.
- ``pipewright_uuid5_accepts_bytes``: LocalStack 4.13's KMS derives key-material ids with
  ``uuid.uuid5(namespace, <bytes>)``, which only Python 3.12 accepts; on 3.10/3.11 every KMS
  CreateKey failed, and with it every S3 write to a bucket encrypted with ``aws:kms``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from localstack import config
from localstack.runtime import hooks

LOG = logging.getLogger(__name__)

# Set by the launcher: the instance folder, holding the ``owners``, ``endpoint`` and ``lock`` files.
INSTANCE_DIR_ENV = "PIPEWRIGHT_INSTANCE_DIR"
WATCH_INTERVAL_SECONDS = 0.5


@hooks.on_infra_start()
def pipewright_serve_on_loopback():
    from localstack.runtime.server import twisted as twisted_server
    from localstack.utils import ssl

    twisted_server.TwistedRuntimeServer.register = _listen_on_configured_addresses
    # The runtime asks for a certificate before registering the server; we serve no TLS.
    ssl.create_ssl_cert = lambda serial_number=None: (None, None, None)


def _listen_on_configured_addresses(self, gateway, listen, ssl_creds=None):
    from rolo.serving.twisted import TwistedGateway
    from twisted.internet import endpoints, reactor

    site = TwistedGateway(gateway)
    registering = True
    failures = []

    def on_failure(failure, address):
        if registering:
            failures.append(failure)
            return None
        # Not expected for TCP endpoints (they fail at once), but never serve silently.
        LOG.error("cannot listen on %s: %s", address, failure.getErrorMessage())
        from localstack.runtime import get_current_runtime

        get_current_runtime().exit(1)
        return None

    for address in listen:
        if config.is_ipv6_address(address.host):
            endpoint = endpoints.TCP6ServerEndpoint(reactor, address.port, interface=address.host)
        else:
            endpoint = endpoints.TCP4ServerEndpoint(reactor, address.port, interface=address.host)
        endpoint.listen(site).addErrback(on_failure, address)
    registering = False
    if failures:
        # Raised before the server runs, this ends the runtime with an error; otherwise it would
        # keep running without serving (and LocalStack's readiness probe, "is the port open?",
        # could even be satisfied by whichever process holds the port).
        failures[0].raiseException()


@hooks.on_infra_start()
def pipewright_quiet_request_log():
    if config.DEBUG:
        return
    for name in ("localstack.request.aws", "localstack.request.http"):
        logging.getLogger(name).setLevel(logging.WARNING)


@hooks.on_infra_start()
def pipewright_no_s3_hostname_lookup():
    from localstack.utils.aws import aws_stack

    aws_stack.CACHE_S3_HOSTNAME_DNS_STATUS = False


@hooks.on_infra_start()
def pipewright_uuid5_accepts_bytes():
    import hashlib
    import uuid

    if sys.version_info >= (3, 12) or getattr(uuid.uuid5, "pipewright_accepts_bytes", False):
        return
    original = uuid.uuid5

    def uuid5(namespace, name):
        if isinstance(name, (bytes, bytearray)):
            # Python 3.12's definition: SHA-1 of the namespace and the name's bytes, version 5.
            digest = hashlib.sha1(namespace.bytes + bytes(name)).digest()
            return uuid.UUID(bytes=digest[:16], version=5)
        return original(namespace, name)

    uuid5.pipewright_accepts_bytes = True
    uuid.uuid5 = uuid5


@hooks.on_infra_start()
def pipewright_s3_buckets_private_to_their_account():
    from localstack.aws.api.s3 import AccessDenied
    from localstack.services.s3.provider import S3Provider

    original = S3Provider._get_cross_account_bucket
    if getattr(original, "pipewright_private", False):
        return

    def own_account_bucket(self, context, bucket_name, *args, **kwargs):
        store, bucket = original(self, context, bucket_name, *args, **kwargs)
        if bucket.bucket_account_id != context.account_id:
            raise AccessDenied("Access Denied")
        return store, bucket

    own_account_bucket.pipewright_private = True
    S3Provider._get_cross_account_bucket = own_account_bucket


# IAM API reference, CreateRole `Path` / ListRoles `PathPrefix`: lengths 1..512 and these patterns.
_IAM_PATH = re.compile(r"/|/[\u0021-\u007E]+/")
_IAM_PATH_PREFIX = re.compile(r"/[\u0021-\u007F]*")
_IAM_PATH_MAX = 512
# ListRoles `MaxItems`: "If you do not include this parameter, the number of items defaults to 100."
_LIST_ROLES_DEFAULT_ITEMS = 100
# What ListRoles leaves out of each role (see list_roles below).
_NOT_LISTED_ROLE_ATTRIBUTES = ("PermissionsBoundary", "RoleLastUsed", "Tags")


def _iam_validation(value, member: str, pattern: str):
    from localstack.aws.api import CommonServiceException

    return CommonServiceException(
        "ValidationError",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {pattern}",
        status_code=400,
        sender_fault=True,
    )


def _listed_role(role: dict) -> dict:
    """A role as ListRoles shows it: no tags (see list_roles), and its trust policy URL-encoded
    once, as GetRole has it ("The policy document returned in this structure is URL-encoded
    compliant with RFC 3986", IAM API Reference, Role). LocalStack sends the raw JSON without a
    prefix and, with one, the JSON quoted as a JSON string and then URL-encoded."""
    from urllib.parse import quote, unquote

    listed = {k: v for k, v in role.items() if k not in _NOT_LISTED_ROLE_ATTRIBUTES}
    doc = listed.get("AssumeRolePolicyDocument")
    if isinstance(doc, dict):
        doc = json.dumps(doc)
    if isinstance(doc, str):
        text = doc if doc.lstrip().startswith(("{", '"')) else unquote(doc)
        if text.lstrip().startswith('"'):
            text = json.loads(text)
        listed["AssumeRolePolicyDocument"] = quote(text)
    return listed


@hooks.on_infra_start()
def pipewright_iam_role_paths():
    from localstack.services.iam.provider import IamProvider

    original_create = IamProvider.create_role
    original_list = IamProvider.list_roles
    if getattr(original_list, "pipewright_paged", False):
        return

    # `wraps` keeps the `@handler` attributes (CreateRole is dispatched unexpanded), which the
    # dispatch table reads from the class.
    @functools.wraps(original_create)
    def create_role(self, context, request, *args, **kwargs):
        path = request.get("Path")
        if path is not None and (len(path) > _IAM_PATH_MAX or not _IAM_PATH.fullmatch(path)):
            raise _iam_validation(
                path,
                "path",
                "Member must satisfy regular expression pattern: "
                "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
            )
        return original_create(self, context, request, *args, **kwargs)

    @functools.wraps(original_list)
    def list_roles(self, context, path_prefix=None, marker=None, max_items=None, **kwargs):
        if path_prefix is not None and (
            len(path_prefix) > _IAM_PATH_MAX or not _IAM_PATH_PREFIX.fullmatch(path_prefix)
        ):
            raise _iam_validation(
                path_prefix,
                "pathPrefix",
                "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
            )
        if max_items is not None and not 1 <= max_items <= 1000:
            raise _iam_validation(
                max_items, "maxItems", "Member must have value between 1 and 1000"
            )
        response = original_list(self, context, path_prefix=path_prefix, **kwargs)
        roles = response.get("Roles") or []
        start = 0
        if marker:
            if not marker.isdigit() or int(marker) > len(roles):
                raise _iam_validation(marker, "marker", "Invalid Marker")
            start = int(marker)
        end = start + (max_items or _LIST_ROLES_DEFAULT_ITEMS)
        # "IAM resource-listing operations return a subset of the available attributes for the
        # resource. This operation does not return the following attributes, even though they
        # are an attribute of the returned object: PermissionsBoundary, RoleLastUsed, Tags"
        # (IAM API Reference, ListRoles): a caller must not learn a role's owner from here.
        response["Roles"] = [_listed_role(role) for role in roles[start:end]]
        response["IsTruncated"] = end < len(roles)
        if end < len(roles):
            response["Marker"] = str(end)
        return response

    list_roles.pipewright_paged = True
    IamProvider.create_role = create_role
    IamProvider.list_roles = list_roles


@hooks.on_infra_start()
def pipewright_s3_default_key_checked_at_write():
    from localstack.aws.api.s3 import ServerSideEncryption
    from localstack.services.s3 import provider as s3_provider
    from localstack.services.s3.utils import validate_kms_key_id

    original = s3_provider.get_encryption_parameters_from_request_and_bucket
    if getattr(original, "pipewright_checked", False):
        return

    @functools.wraps(original)
    def checked(request, s3_bucket, store):
        parameters = original(request, s3_bucket, store)
        rule = (s3_bucket.encryption_rule or {}).get("ApplyServerSideEncryptionByDefault") or {}
        default_key = rule.get("KMSMasterKeyID")
        if (
            not config.S3_SKIP_KMS_KEY_VALIDATION
            and default_key
            and not request.get("SSEKMSKeyId")
            and not request.get("SSECustomerKey")
            and parameters.encryption == ServerSideEncryption.aws_kms
        ):
            validate_kms_key_id(default_key, s3_bucket)
        return parameters

    checked.pipewright_checked = True
    s3_provider.get_encryption_parameters_from_request_and_bucket = checked


@hooks.on_infra_start()
def pipewright_s3_storage_in_state_dir():
    from localstack.services.s3 import provider as s3_provider

    s3_provider.DEFAULT_S3_TMP_DIR = os.path.join(config.dirs.tmp, "s3-storage")


@hooks.on_infra_start()
def pipewright_pipeline_event_target():
    from localstack.services.events.target import TargetSenderFactory

    from .events_target import PipelineTargetSender

    TargetSenderFactory.register_target_sender("codepipeline", PipelineTargetSender)


@hooks.on_infra_start()
def pipewright_git_http():
    from . import githttp, gitstore

    gitstore.delete_all()
    githttp.register()


@hooks.on_infra_start()
def pipewright_owner_watchdog():
    instance_dir = os.environ.get(INSTANCE_DIR_ENV, "").strip()
    if not instance_dir:
        return
    thread = threading.Thread(
        target=_watch_owners,
        args=(Path(instance_dir),),
        name="pipewright-owner-watchdog",
        daemon=True,
    )
    thread.start()


def _alive(pid: int, start_time: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, run by another user
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return True  # no /proc (macOS): the pid exists, which is all we can tell
    if fields[0] == b"Z":
        return False  # exited, waiting to be reaped
    # A different start time means the pid was recycled by another process.
    return start_time == "-" or fields[19].decode() == start_time


def _owners(owners_file: Path) -> list[tuple[int, str]]:
    """The launcher's ``owners`` file: one ``PID START_TIME`` line per owner."""
    try:
        lines = owners_file.read_text().splitlines()
    except OSError:
        return []
    owners = []
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            owners.append((int(parts[0]), parts[1]))
    return owners


def _all_gone(owners: list[tuple[int, str]]) -> bool:
    # No owners means "unowned": run until stopped.
    return bool(owners) and not any(_alive(pid, start) for pid, start in owners)


def _watch_owners(instance_dir: Path) -> None:
    owners_file = instance_dir / "owners"
    while True:
        time.sleep(WATCH_INTERVAL_SECONDS)
        if not _all_gone(_owners(owners_file)):
            continue
        # Decide under the launcher's instance lock, so that a launcher cannot hand this
        # instance to a new owner between our check and the shutdown.
        with open(instance_dir / "lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not _all_gone(_owners(owners_file)):
                    continue
                # Without its endpoint file the instance is "stopping" to every launcher.
                with contextlib.suppress(FileNotFoundError):
                    (instance_dir / "endpoint").unlink()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        break
    LOG.info("every owner process is gone: shutting down")
    # The same path as `launcher.py stop`: LocalStack's SIGTERM handler runs an orderly shutdown.
    os.kill(os.getpid(), signal.SIGTERM)


@hooks.on_infra_shutdown()
def pipewright_stop_executor():
    # The pipeline executor's thread ends with the emulator (SIGTERM, `launcher.py stop` or the
    # owner watchdog all come through LocalStack's shutdown). Only if CodePipeline was used: its
    # module, and moto behind it, are not imported just to stop nothing.
    provider = sys.modules.get("pipewright_localstack.codepipeline")
    if provider is not None:
        provider.SCHEDULER.shutdown()


@hooks.on_infra_shutdown()
def pipewright_stop_deployments():
    # Running CodeDeploy deployments stop with the emulator, and the hook scripts they run are
    # killed with their process groups. Only if CodeDeploy was used.
    api = sys.modules.get("pipewright_localstack.deployments.api")
    if api is not None:
        api.shutdown()


@hooks.on_infra_shutdown()
def pipewright_stop_builds():
    # Only if a build ever ran: the runner module is loaded by the first StartBuild.
    builds = sys.modules.get("pipewright_localstack.builds.runner")
    if builds is not None:
        builds.shutdown()
