"""AWS CodeArtifact domains and repositories, written here: neither moto nor LocalStack's
community edition has CodeArtifact.

What is served, as the CodeArtifact API Reference (the botocore model's documentation) states it:

- ``CreateDomain``, ``DescribeDomain``, ``ListDomains``, ``DeleteDomain``: a domain name of 2 to 50
  characters matching ``[a-z][a-z0-9\\-]{0,48}[a-z0-9]``; a domain created twice is a
  ``ConflictException``; without ``encryptionKey`` the domain is encrypted with the account's AWS
  managed key, which ``DescribeDomain`` names; "You cannot delete a domain that contains
  repositories" (``DeleteDomain``): ``ConflictException``.
- ``CreateRepository``, ``DescribeRepository``, ``UpdateRepository``, ``ListRepositories``,
  ``ListRepositoriesInDomain``, ``DeleteRepository``: a repository name of 2 to 100 characters
  matching ``[A-Za-z0-9][A-Za-z0-9._\\-]{1,99}``, in a domain that exists
  (``ResourceNotFoundException`` otherwise); a description of at most 1000 characters; upstreams
  that are repositories of the same domain (``ResourceNotFoundException`` for one that does not
  exist), in order ("The order of the upstream repositories in the list determines their priority
  order"), with no cycle (``ValidationException``). ``UpdateRepository`` replaces the list whole.
- ``AssociateExternalConnection`` / ``DisassociateExternalConnection``: only the names AWS lists
  (``public:npmjs``, ``public:pypi``, ... ``ValidationException`` otherwise); "One external
  connection is allowed per repository" and "A repository can have one or more upstream
  repositories, or an external connection": both ``ConflictException``; removing a connection the
  repository does not have is ``ResourceNotFoundException``.
- ``GetAuthorizationToken`` (a domain that exists; ``durationSeconds`` 0 or 900 to 43200) and
  ``GetRepositoryEndpoint`` (one endpoint per package format).
- ``TagResource`` / ``UntagResource`` / ``ListTagsForResource`` on a domain or repository ARN:
  keys of 1 to 128 characters without the reserved ``aws:`` prefix, values of at most 256, at most
  50 tags (``ValidationException`` / ``ServiceQuotaExceededException``).

The tagging API lists domains and repositories (``tagged_resources``).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, LocalAttribute

from .common import aws_error, now, paginate
from .dispatch import Provider
from .packages import (
    DOMAIN,
    EXTERNAL_CONNECTIONS,
    REPOSITORY,
    connection_problem,
    upstream_problem,
)
from .state import MAX_TAGS, Store, existing_store, locked, locked_in, reject_system_tags

# GetRepositoryEndpoint: "A repository has one endpoint for each package format".
_FORMATS = ("cargo", "generic", "maven", "npm", "nuget", "pypi", "ruby", "swift")


@dataclass
class Domain:
    name: str
    arn: str
    owner: str
    encryption_key: str
    created: datetime
    tags: dict = field(default_factory=dict)


@dataclass
class Repository:
    name: str
    domain: str
    arn: str
    owner: str
    description: str
    upstreams: list
    external_connections: list
    created: datetime
    tags: dict = field(default_factory=dict)


class CodeArtifactStore(Store):
    """The domains by name, and the repositories by (domain, name)."""

    domains: dict[str, Domain] = LocalAttribute(default=dict)
    repositories: dict[tuple, Repository] = LocalAttribute(default=dict)


codeartifact_stores = AccountRegionBundle("codeartifact", CodeArtifactStore, validate=False)


def _invalid(message: str):
    return aws_error("ValidationException", message)


def _not_found(kind: str, name: str):
    return aws_error("ResourceNotFoundException", f"{kind} {name} not found", 404)


def _conflict(message: str):
    return aws_error("ConflictException", message, 409)


def _check_domain_name(name: str) -> None:
    if not DOMAIN.match(name or ""):
        raise _invalid(
            "1 validation error detected: Value at 'domain' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern: [a-z][a-z0-9\\-]{0,48}[a-z0-9]"
        )


def _check_repository_name(name: str, member: str = "repository") -> None:
    if not REPOSITORY.match(name or ""):
        raise _invalid(
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9._\\-]{1,99}"
        )


def _check_owner(context: RequestContext, request: dict) -> None:
    owner = request.get("domainOwner")
    if owner is not None and owner != context.account_id:
        # Cross-account domains are not emulated: a domain of another account is not found.
        raise _not_found("Domain", request.get("domain") or "")


def _check_tags(existing: dict, tags: list[dict]) -> dict:
    """The tags after adding ``tags`` (``[{key, value}]``) to ``existing``, checked."""
    keys = [t.get("key") or "" for t in tags]
    reject_system_tags(keys, "ValidationException")
    for t in tags:
        key, value = t.get("key") or "", t.get("value") or ""
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise _invalid("A tag key has 1 to 128 characters and a tag value at most 256")
    merged = {**existing, **{t["key"]: t.get("value") or "" for t in tags}}
    if len(merged) > MAX_TAGS:
        raise aws_error(
            "ServiceQuotaExceededException", f"A resource can have at most {MAX_TAGS} tags", 402
        )
    return merged


def _domain_out(d: Domain, store: CodeArtifactStore) -> dict:
    return {
        "name": d.name,
        "owner": d.owner,
        "arn": d.arn,
        "status": "Active",
        "createdTime": d.created,
        "encryptionKey": d.encryption_key,
        "repositoryCount": sum(1 for (dom, _) in store.repositories if dom == d.name),
        "assetSizeBytes": 0,
    }


def _repository_out(r: Repository) -> dict:
    return {
        "name": r.name,
        "administratorAccount": r.owner,
        "domainName": r.domain,
        "domainOwner": r.owner,
        "arn": r.arn,
        "description": r.description,
        "upstreams": [{"repositoryName": u} for u in r.upstreams],
        "externalConnections": [
            {
                "externalConnectionName": c,
                "packageFormat": EXTERNAL_CONNECTIONS[c],
                "status": "Available",
            }
            for c in r.external_connections
        ],
        "createdTime": r.created,
    }


def _summary(r: Repository) -> dict:
    out = _repository_out(r)
    return {
        k: out[k]
        for k in (
            "name",
            "administratorAccount",
            "domainName",
            "domainOwner",
            "arn",
            "description",
            "createdTime",
        )
    }


def _domain(store: CodeArtifactStore, name: str) -> Domain:
    d = store.domains.get(name)
    if d is None:
        raise _not_found("Domain", name)
    return d


def _repository(store: CodeArtifactStore, domain: str, name: str) -> Repository:
    _domain(store, domain)
    r = store.repositories.get((domain, name))
    if r is None:
        raise _not_found("Repository", name)
    return r


def _raise(problem) -> None:
    if problem is not None:
        code, message = problem
        status = {"ResourceNotFoundException": 404, "ConflictException": 409}.get(code, 400)
        raise aws_error(code, message, status)


def _checked_upstreams(store: CodeArtifactStore, domain: str, name: str, given) -> list[str]:
    """The upstream names of ``given`` (``[{repositoryName}]``), checked (``packages``)."""
    names = [u.get("repositoryName") or "" for u in given or []]
    in_domain = {n: r for (dom, n), r in store.repositories.items() if dom == domain}
    _raise(
        upstream_problem(
            {n: r.upstreams for n, r in in_domain.items()},
            {n: r.external_connections for n, r in in_domain.items()},
            name,
            names,
        )
    )
    return names


def _arn_target(store_for, arn: str):
    """The domain or repository an ARN names, with its store: ``(store, resource)``."""
    parts = (arn or "").split(":", 5)
    if len(parts) != 6 or parts[2] != "codeartifact":
        raise _invalid("Invalid resource ARN")
    region, account, resource = parts[3], parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    return store_for(account, region), kind, rest


class CodeArtifactProvider(Provider):
    service = "codeartifact"

    # Domains.

    def create_domain(self, context: RequestContext, request: dict) -> dict:
        name = request.get("domain") or ""
        _check_domain_name(name)
        tags = _check_tags({}, request.get("tags") or [])
        key = request.get("encryptionKey") or (
            # The account's AWS managed key for CodeArtifact (aws/codeartifact), one per account
            # and region here as on AWS.
            f"arn:aws:kms:{context.region}:{context.account_id}:key/"
            f"{uuid.uuid5(uuid.NAMESPACE_URL, context.account_id + context.region)}"
        )
        with locked(codeartifact_stores, context) as store:
            if name in store.domains:
                raise _conflict(f"Domain {name} already exists")
            d = Domain(
                name=name,
                arn=f"arn:aws:codeartifact:{context.region}:{context.account_id}:domain/{name}",
                owner=context.account_id,
                encryption_key=key,
                created=now(),
                tags=tags,
            )
            store.domains[name] = d
            return {"domain": _domain_out(d, store)}

    def describe_domain(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        with locked(codeartifact_stores, context) as store:
            return {"domain": _domain_out(_domain(store, request.get("domain") or ""), store)}

    def list_domains(self, context: RequestContext, request: dict) -> dict:
        per_page = request.get("maxResults")
        if per_page is not None and not 1 <= per_page <= 1000:
            raise _invalid("maxResults must be between 1 and 1000")
        with locked(codeartifact_stores, context) as store:
            domains = [
                {
                    k: v
                    for k, v in _domain_out(d, store).items()
                    if k in ("name", "owner", "arn", "status", "createdTime", "encryptionKey")
                }
                for _, d in sorted(store.domains.items())
            ]
        page, token = paginate(domains, request.get("nextToken"), per_page, 1000)
        if page is None:
            raise _invalid("The next token is not valid")
        return {"domains": page, **({"nextToken": token} if token else {})}

    def delete_domain(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        name = request.get("domain") or ""
        with locked(codeartifact_stores, context) as store:
            d = _domain(store, name)
            if any(dom == name for (dom, _) in store.repositories):
                raise _conflict(
                    f"Domain {name} contains repositories: you cannot delete a domain that "
                    "contains repositories"
                )
            out = _domain_out(d, store)
            del store.domains[name]
            out["status"] = "Deleted"
            return {"domain": out}

    # Repositories.

    def create_repository(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        domain, name = request.get("domain") or "", request.get("repository") or ""
        _check_repository_name(name)
        description = request.get("description") or ""
        if len(description) > 1000:
            raise _invalid("The description has at most 1000 characters")
        tags = _check_tags({}, request.get("tags") or [])
        with locked(codeartifact_stores, context) as store:
            _domain(store, domain)
            if (domain, name) in store.repositories:
                raise _conflict(f"Repository {name} already exists in domain {domain}")
            upstreams = _checked_upstreams(store, domain, name, request.get("upstreams"))
            r = Repository(
                name=name,
                domain=domain,
                arn=(
                    f"arn:aws:codeartifact:{context.region}:{context.account_id}:"
                    f"repository/{domain}/{name}"
                ),
                owner=context.account_id,
                description=description,
                upstreams=upstreams,
                external_connections=[],
                created=now(),
                tags=tags,
            )
            store.repositories[(domain, name)] = r
            return {"repository": _repository_out(r)}

    def describe_repository(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        with locked(codeartifact_stores, context) as store:
            r = _repository(store, request.get("domain") or "", request.get("repository") or "")
            return {"repository": _repository_out(r)}

    def update_repository(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        domain, name = request.get("domain") or "", request.get("repository") or ""
        with locked(codeartifact_stores, context) as store:
            r = _repository(store, domain, name)
            if "description" in request and request["description"] is not None:
                if len(request["description"]) > 1000:
                    raise _invalid("The description has at most 1000 characters")
                r.description = request["description"]
            if request.get("upstreams") is not None:
                r.upstreams = _checked_upstreams(store, domain, name, request["upstreams"])
            return {"repository": _repository_out(r)}

    def delete_repository(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        domain, name = request.get("domain") or "", request.get("repository") or ""
        with locked(codeartifact_stores, context) as store:
            r = _repository(store, domain, name)
            del store.repositories[(domain, name)]
            return {"repository": _repository_out(r)}

    def list_repositories_in_domain(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        domain = request.get("domain") or ""
        with locked(codeartifact_stores, context) as store:
            _domain(store, domain)
            found = [r for (dom, _), r in sorted(store.repositories.items()) if dom == domain]
        return self._list(found, request)

    def list_repositories(self, context: RequestContext, request: dict) -> dict:
        with locked(codeartifact_stores, context) as store:
            found = [r for _, r in sorted(store.repositories.items())]
        return self._list(found, request)

    @staticmethod
    def _list(found: list[Repository], request: dict) -> dict:
        prefix = request.get("repositoryPrefix") or ""
        per_page = request.get("maxResults")
        if per_page is not None and not 1 <= per_page <= 1000:
            raise _invalid("maxResults must be between 1 and 1000")
        items = [_summary(r) for r in found if r.name.startswith(prefix)]
        page, token = paginate(items, request.get("nextToken"), per_page, 1000)
        if page is None:
            raise _invalid("The next token is not valid")
        return {"repositories": page, **({"nextToken": token} if token else {})}

    def associate_external_connection(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        domain, name = request.get("domain") or "", request.get("repository") or ""
        connection = request.get("externalConnection") or ""
        with locked(codeartifact_stores, context) as store:
            r = _repository(store, domain, name)
            _raise(connection_problem(name, r.upstreams, r.external_connections, connection))
            r.external_connections = [connection]
            return {"repository": _repository_out(r)}

    def disassociate_external_connection(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        domain, name = request.get("domain") or "", request.get("repository") or ""
        connection = request.get("externalConnection") or ""
        with locked(codeartifact_stores, context) as store:
            r = _repository(store, domain, name)
            if connection not in r.external_connections:
                raise _not_found("External connection", connection)
            r.external_connections = [c for c in r.external_connections if c != connection]
            return {"repository": _repository_out(r)}

    # Logging in.

    def get_authorization_token(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        duration = request.get("durationSeconds")
        if duration is not None and duration != 0 and not 900 <= duration <= 43200:
            raise _invalid("durationSeconds is 0 or between 900 and 43200")
        with locked(codeartifact_stores, context) as store:
            _domain(store, request.get("domain") or "")
        seconds = duration or 43200
        expiration = datetime.fromtimestamp(now().timestamp() + seconds, tz=now().tzinfo)
        return {"authorizationToken": secrets.token_urlsafe(48), "expiration": expiration}

    def get_repository_endpoint(self, context: RequestContext, request: dict) -> dict:
        _check_owner(context, request)
        domain, name = request.get("domain") or "", request.get("repository") or ""
        fmt = request.get("format") or ""
        if fmt not in _FORMATS:
            raise _invalid(f"{fmt} is not a package format")
        with locked(codeartifact_stores, context) as store:
            _repository(store, domain, name)
        host = f"{domain}-{context.account_id}.d.codeartifact.{context.region}.amazonaws.com"
        return {"repositoryEndpoint": f"https://{host}/{fmt}/{name}/"}

    # Tags.

    def _target(self, arn: str):
        store, kind, rest = _arn_target(
            lambda account, region: locked_in(codeartifact_stores, account, region), arn
        )
        return store, kind, rest

    def _resource(self, store: CodeArtifactStore, kind: str, rest: str):
        if kind == "domain" and rest in store.domains:
            return store.domains[rest]
        if kind == "repository":
            domain, _, name = rest.partition("/")
            if (domain, name) in store.repositories:
                return store.repositories[(domain, name)]
        raise aws_error("ResourceNotFoundException", "The resource was not found", 404)

    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        cm, kind, rest = self._target(request.get("resourceArn") or "")
        with cm as store:
            resource = self._resource(store, kind, rest)
            resource.tags = _check_tags(resource.tags, request.get("tags") or [])
        return {}

    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        cm, kind, rest = self._target(request.get("resourceArn") or "")
        with cm as store:
            resource = self._resource(store, kind, rest)
            for key in request.get("tagKeys") or []:
                resource.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        cm, kind, rest = self._target(request.get("resourceArn") or "")
        with cm as store:
            resource = self._resource(store, kind, rest)
            return {"tags": [{"key": k, "value": v} for k, v in sorted(resource.tags.items())]}


def tagged_resources(account_id: str, region: str):
    """(ARN, kind, tags) of every domain and repository of an account and region; used by the
    tagging API."""
    store = existing_store(codeartifact_stores, account_id, region)
    if store is None:
        return []
    with store.lock:
        return [
            *((d.arn, "domain", dict(d.tags)) for d in store.domains.values()),
            *((r.arn, "repository", dict(r.tags)) for r in store.repositories.values()),
        ]
