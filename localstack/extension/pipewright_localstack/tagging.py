"""Resource Groups Tagging API provider (selected with PROVIDER_OVERRIDE_RESOURCEGROUPSTAGGINGAPI).

pipewright lists what an app owns by tag. LocalStack's built-in provider delegates to moto, which
does not see LocalStack's own S3 buckets or EventBridge rules (they live in LocalStack stores, not
in moto), knows nothing of the Code* resources served by this extension, and on its first call
creates a backend for every moto service (about 1.7 s and 170 MB).

GetResources, GetTagKeys and GetTagValues are answered here from the stores that hold the data:
LocalStack's S3 and EventBridge stores, CloudWatch Logs groups (moto's backend, LocalStack's tag
store, read through this extension's ``logs`` provider), ECR repositories (moto's backend, read
through this extension's ``ecr`` provider), CodeArtifact domains and repositories (this
extension's ``codeartifact`` store) and the Code* stores of this extension
(each read under its store's lock, one service after the other). A service whose module was never
imported has never been called and so holds nothing; such services are skipped rather than
imported, which keeps the first call cheap. The other operations
fall through to moto.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import NamedTuple

from localstack.aws.api import RequestContext

from .common import aws_error, paginate
from .dispatch import Provider
from .state import existing_store


class Tagged(NamedTuple):
    arn: str
    service: str
    kind: str
    tags: dict


def _loaded(module: str):
    """The module if something already imported it, else ``None`` (see the module docstring)."""
    return sys.modules.get(module)


def _s3_buckets(account_id: str) -> Iterator[Tagged]:
    models = _loaded("localstack.services.s3.models")
    if models is None or account_id not in models.s3_stores:
        return
    # Buckets and their tags are shared by all regions of an account; any region's store sees them.
    store = models.s3_stores[account_id]["us-east-1"]
    for bucket in list(store.buckets.values()):
        yield Tagged(
            bucket.bucket_arn, "s3", "bucket", dict(store.TAGS.tags.get(bucket.bucket_arn, {}))
        )


def _event_rules(account_id: str, region: str) -> Iterator[Tagged]:
    models = _loaded("localstack.services.events.models")
    if models is None or account_id not in models.events_stores:
        return
    store = models.events_stores[account_id][region]
    for bus in list(store.event_buses.values()):
        for rule in list(bus.rules.values()):
            yield Tagged(rule.arn, "events", "rule", dict(store.TAGS.tags.get(rule.arn, {})))


def _log_groups(account_id: str, region: str) -> Iterator[Tagged]:
    # CloudWatch Logs groups, by the ARN without ``:*`` as AWS's GetResources lists them.
    provider_module = _loaded(f"{__package__}.logs")
    if provider_module is None:
        return
    for arn, tags in provider_module.tagged_groups(account_id, region):
        yield Tagged(arn, "logs", "log-group", tags)


def _code_services(account_id: str, region: str) -> Iterator[Tagged]:
    # A service's provider module holds its stores; a store that was never created holds nothing.
    for service in ("codecommit", "codebuild", "codedeploy", "codepipeline"):
        provider_module = _loaded(f"{__package__}.{service}")
        if provider_module is None:
            continue
        bundle = getattr(provider_module, f"{service}_stores")
        store = existing_store(bundle, account_id, region)
        if store is None:
            continue
        for arn, kind, tags in provider_module.tagged_resources(store):
            yield Tagged(arn, service, kind, tags)


def _ecr_repositories(account_id: str, region: str) -> Iterator[Tagged]:
    provider_module = _loaded(f"{__package__}.ecr")
    if provider_module is None:
        return
    for arn, tags in provider_module.tagged_resources(account_id, region):
        yield Tagged(arn, "ecr", "repository", tags)


def _codeartifact(account_id: str, region: str) -> Iterator[Tagged]:
    provider_module = _loaded(f"{__package__}.codeartifact")
    if provider_module is None:
        return
    for arn, kind, tags in provider_module.tagged_resources(account_id, region):
        yield Tagged(arn, "codeartifact", kind, tags)


def tagged_resources(account_id: str, region: str) -> list[Tagged]:
    """Every resource with at least one tag, sorted by ARN.

    S3 buckets are included whatever the region (kept simple); everything else is the request's
    region only. IAM roles are not: the API searches "for resources located in the specified
    Region" (Resource Groups Tagging API Reference, overview), and a role, global, is located in
    none, so a regional GetResources does not list it on AWS (issue 16). pipewright lists its
    roles through IAM.
    """
    found = [
        *_s3_buckets(account_id),
        *_event_rules(account_id, region),
        *_log_groups(account_id, region),
        *_code_services(account_id, region),
        *_ecr_repositories(account_id, region),
        *_codeartifact(account_id, region),
    ]
    return sorted((r for r in found if r.tags), key=lambda r: r.arn)


def _type_matcher(filters: list[str]):
    wanted = []
    for value in filters:
        service, _, kind = value.lower().partition(":")
        if not service or ":" in kind:
            raise aws_error("InvalidParameterException", f"Invalid resource type filter {value}")
        wanted.append((service, kind))

    def matches(resource: Tagged) -> bool:
        return not wanted or any(
            resource.service == service and (not kind or resource.kind == kind)
            for service, kind in wanted
        )

    return matches


def _tag_matcher(filters: list[dict]):
    def matches(resource: Tagged) -> bool:
        for tag_filter in filters:
            key = tag_filter.get("Key")
            if key not in resource.tags:
                return False
            values = tag_filter.get("Values") or []
            if values and resource.tags[key] not in values:
                return False
        return True

    return matches


class TaggingProvider(Provider):
    service = "resourcegroupstaggingapi"

    def get_resources(self, context: RequestContext, request: dict) -> dict:
        tag_filters = request.get("TagFilters") or []
        if len(tag_filters) > 50 or any(not f.get("Key") for f in tag_filters):
            raise aws_error(
                "InvalidParameterException", "TagFilters: up to 50 filters, each with a Key"
            )
        by_type = _type_matcher(request.get("ResourceTypeFilters") or [])
        by_tags = _tag_matcher(tag_filters)
        arns = set(request.get("ResourceARNList") or [])
        per_page = request.get("ResourcesPerPage")
        if per_page is not None and not 1 <= per_page <= 100:
            raise aws_error(
                "InvalidParameterException", "ResourcesPerPage must be between 1 and 100"
            )

        matching = [
            {
                "ResourceARN": r.arn,
                "Tags": [{"Key": k, "Value": v} for k, v in sorted(r.tags.items())],
            }
            for r in tagged_resources(context.account_id, context.region)
            if by_type(r) and by_tags(r) and (not arns or r.arn in arns)
        ]
        page, token = paginate(matching, request.get("PaginationToken"), per_page, 100)
        if page is None:
            raise aws_error("PaginationTokenExpiredException", "The pagination token is not valid")
        return {"ResourceTagMappingList": page, "PaginationToken": token or ""}

    def get_tag_keys(self, context: RequestContext, request: dict) -> dict:
        keys = sorted(
            {k for r in tagged_resources(context.account_id, context.region) for k in r.tags}
        )
        page, token = paginate(keys, request.get("PaginationToken"), None, 500)
        if page is None:
            raise aws_error("PaginationTokenExpiredException", "The pagination token is not valid")
        return {"TagKeys": page, "PaginationToken": token or ""}

    def get_tag_values(self, context: RequestContext, request: dict) -> dict:
        key = request.get("Key")
        if not key:
            raise aws_error("InvalidParameterException", "Key is required")
        values = sorted(
            {
                r.tags[key]
                for r in tagged_resources(context.account_id, context.region)
                if key in r.tags
            }
        )
        page, token = paginate(values, request.get("PaginationToken"), None, 500)
        if page is None:
            raise aws_error("PaginationTokenExpiredException", "The pagination token is not valid")
        return {"TagValues": page, "PaginationToken": token or ""}
