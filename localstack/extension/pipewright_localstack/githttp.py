"""Serves each CodeCommit repository to the git CLI over smart HTTP, from the emulator's gateway.

A route on LocalStack's gateway router (``localstack.services.edge.ROUTER``, registered by the
``pipewright_git_http`` start-up hook) answers ``<cloneUrlHttp>/info/refs``, ``/git-upload-pack``
and ``/git-receive-pack`` by running git's own ``git http-backend`` as a CGI program on the
repository's bare folder (``gitstore``): the protocol is git's, not a reimplementation of it.
Any or no credentials are accepted, as the emulator has no IAM.

A push is a ``git-receive-pack`` request: the repository's branches and tags are read before and
after it, and every reference that moved emits CodeCommit's state-change event
(``codecommit_events``), so a push starts the pipelines watching that branch, as on AWS.
"""

from __future__ import annotations

import gzip
import logging
import re
import subprocess
import zlib

from localstack.aws.api import ServiceException
from rolo import Request, Response

from . import codecommit_events, gitstore

LOG = logging.getLogger(__name__)

ROUTE = "/git/<account_id>/<region>/v1/repos/<repository_name>/<path:git_path>"
# The services git's smart HTTP protocol has ("git-http-backend(1)"): nothing else is served.
SERVICES = ("info/refs", "git-upload-pack", "git-receive-pack", "HEAD")
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
# A request for a large fetch or push can take a while on a loaded machine; it never hangs.
HTTP_BACKEND_TIMEOUT_SECONDS = 120


def register() -> None:
    """Adds the route to LocalStack's gateway router (once)."""
    from localstack.services.edge import ROUTER

    if getattr(register, "done", False):
        return
    ROUTER.add(ROUTE, endpoint=serve, methods=["GET", "POST"])
    register.done = True


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _body(request: Request) -> bytes:
    """The request body, inflated: git gzips large upload-pack requests (``Content-Encoding``),
    and http-backend expects them plain when the server in front of it decodes them."""
    data = request.get_data(cache=False)
    encoding = (request.headers.get("Content-Encoding") or "").lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    return data


def serve(
    request: Request, account_id: str, region: str, repository_name: str, git_path: str
) -> Response:
    from .codecommit import git_repository

    if git_path not in SERVICES:
        return _plain(404, "Not found")
    if not ACCOUNT.match(account_id) or not REGION.match(region):
        return _plain(404, f"repository {repository_name} not found")
    try:
        repo = git_repository(account_id, region, repository_name)
    except ServiceException:
        # Unknown account, region or repository: what git prints for a missing repository.
        return _plain(404, f"repository {repository_name} not found")
    try:
        body = _body(request)
    except (OSError, EOFError, zlib.error):
        return _plain(400, "the request body is not valid gzip")

    pushing = git_path == "git-receive-pack"
    before = gitstore.refs(repo.path) if pushing else {}
    env = {
        "GIT_PROJECT_ROOT": str(repo.path.parent),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repo.path.name}/{git_path}",
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.query_string.decode(errors="replace"),
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": request.remote_addr or "127.0.0.1",
        # Protocol v2 is negotiated through this header (git sends "version=2").
        "GIT_PROTOCOL": request.headers.get("Git-Protocol", ""),
    }
    try:
        done = subprocess.run(
            [gitstore._git_binary(), "http-backend"],
            input=body,
            capture_output=True,
            env=gitstore.git_env(env),
            cwd=str(repo.path.parent),
            timeout=HTTP_BACKEND_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        LOG.warning("git http-backend timed out on %s %s", repository_name, git_path)
        return _plain(504, "git http-backend timed out")
    response = _cgi_response(done.stdout)
    if done.returncode != 0 and response.status_code < 400:
        LOG.warning("git http-backend failed: %s", done.stderr.decode(errors="replace"))
        return _plain(500, "git http-backend failed")
    if pushing:
        changes = codecommit_events.changes_between(before, gitstore.refs(repo.path))
        if changes:
            gitstore.ensure_default_branch(repo.path)
            repo.moved(changes)
    return response


def _cgi_response(output: bytes) -> Response:
    """A CGI program's output (headers, a blank line, the body) as an HTTP response."""
    head, sep, body = output.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = output.partition(b"\n\n")
    status = 200
    headers = []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        value = value.strip()
        if name.lower() == "status":
            status = int(value.split(" ", 1)[0])
        elif name:
            headers.append((name, value))
    return Response(body, status=status, headers=headers)
