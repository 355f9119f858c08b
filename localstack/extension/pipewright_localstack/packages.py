"""CodeArtifact's rules for names, upstreams and external connections (pure: no LocalStack, no
moto), as the CodeArtifact API Reference states them; ``codeartifact`` raises AWS's errors from
what these return.

- Names: a domain matches ``[a-z][a-z0-9\\-]{0,48}[a-z0-9]`` (``CreateDomain``), a repository
  ``[A-Za-z0-9][A-Za-z0-9._\\-]{1,99}`` (``CreateRepository``).
- Upstreams: repositories of the same domain that exist (``ResourceNotFoundException``), each
  once, in the order searched, never the repository itself nor one that reaches it through its
  own upstreams (a cycle, ``ValidationException``).
- External connections: only the names AWS lists (``AssociateExternalConnection``:
  ``externalConnection``), "One external connection is allowed per repository", and "A
  repository can have one or more upstream repositories, or an external connection" (both
  ``ConflictException``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

DOMAIN = re.compile(r"^[a-z][a-z0-9\-]{0,48}[a-z0-9]$")
REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$")

# AssociateExternalConnection, ``externalConnection``: the supported values and the package
# format of each.
EXTERNAL_CONNECTIONS = {
    "public:npmjs": "npm",
    "public:nuget-org": "nuget",
    "public:pypi": "pypi",
    "public:maven-central": "maven",
    "public:maven-googleandroid": "maven",
    "public:maven-gradleplugins": "maven",
    "public:maven-commonsware": "maven",
    "public:maven-clojars": "maven",
    "public:ruby-gems-org": "ruby",
    "public:crates-io": "cargo",
}

# What a check found: (error code, message); ``None`` when the request may go on.
Problem = tuple[str, str] | None


def upstream_problem(
    upstreams_of: Mapping[str, Sequence[str]],
    connections_of: Mapping[str, Sequence[str]],
    name: str,
    upstreams: Sequence[str],
) -> Problem:
    """What is wrong with giving repository ``name`` these upstreams, in a domain whose
    repositories (and their upstreams) are ``upstreams_of`` and their connections
    ``connections_of``."""
    for u in upstreams:
        if not REPOSITORY.match(u or ""):
            return ("ValidationException", f"{u!r} is not a repository name")
        if u == name:
            return ("ValidationException", f"Repository {name} cannot be its own upstream")
        if u not in upstreams_of:
            return ("ResourceNotFoundException", f"Repository {u} not found")
    if len(set(upstreams)) != len(upstreams):
        return ("ValidationException", "An upstream repository is given more than once")
    stack, seen = list(upstreams), set()
    while stack:
        u = stack.pop()
        if u == name:
            return ("ValidationException", f"Adding these upstreams to {name} would create a cycle")
        if u in seen:
            continue
        seen.add(u)
        stack.extend(upstreams_of.get(u, ()))
    if upstreams and connections_of.get(name):
        return (
            "ConflictException",
            f"Repository {name} has an external connection: a repository can have one or more "
            "upstream repositories, or an external connection",
        )
    return None


def connection_problem(
    name: str, upstreams: Sequence[str], connections: Sequence[str], connection: str
) -> Problem:
    """What is wrong with connecting repository ``name`` (with these upstreams and
    connections) to ``connection``."""
    if connection not in EXTERNAL_CONNECTIONS:
        return ("ValidationException", f"{connection} is not a supported external connection")
    if connections:
        return (
            "ConflictException",
            f"Repository {name} already has an external connection: one external connection is "
            "allowed per repository",
        )
    if upstreams:
        return (
            "ConflictException",
            f"Repository {name} has upstream repositories: a repository can have one or more "
            "upstream repositories, or an external connection",
        )
    return None
