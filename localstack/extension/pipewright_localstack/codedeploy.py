"""CodeDeploy provider: applications, deployment configurations, deployment groups and tags.

Applications and deployment groups live in moto's CodeDeploy backend, so moto's deployment
operations (CreateDeployment, GetDeployment...) keep seeing them. What moto lacks is added here:

- deployment groups keep and return every field given (moto answers an empty alarm configuration
  and empty structures for fields never set), can be updated and renamed, and are deleted with
  their application;
- deployment configurations (moto has none), including the predefined ``CodeDeployDefault.*`` ones;
- tags checked against the resource they name.

The deployment group document AWS returns is kept on moto's group object (``pipewright_info``);
custom deployment configurations are kept in a LocalStack store of our own.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timezone
from typing import Any

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute
from moto.codedeploy.models import CodeDeployBackend, DeploymentGroup, codedeploy_backends
from moto.utilities.utils import get_partition

from .common import Arn, aws_error, now, reject_system_tags
from .dispatch import Provider

COMPUTE_PLATFORMS = ("Server", "Lambda", "ECS")

# The configuration a group gets when none is named, per compute platform.
DEFAULT_CONFIG = {
    "Server": "CodeDeployDefault.OneAtATime",
    "Lambda": "CodeDeployDefault.LambdaAllAtOnce",
    "ECS": "CodeDeployDefault.ECSAllAtOnce",
}


def _predefined_configs() -> dict[str, dict]:
    """The configurations every account has. Ids are stable per name; values follow AWS's docs
    (OneAtATime reports the MOST_CONCURRENCY type, which only AWS itself may use)."""
    created = datetime(2014, 11, 12, tzinfo=timezone.utc)
    configs: dict[str, dict] = {}

    def add(name: str, platform: str, **fields: Any) -> None:
        full = f"CodeDeployDefault.{name}"
        configs[full] = {
            "deploymentConfigId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"codedeploy/{full}")),
            "deploymentConfigName": full,
            "computePlatform": platform,
            "createTime": created,
            **fields,
        }

    add("OneAtATime", "Server", minimumHealthyHosts={"type": "MOST_CONCURRENCY", "value": 1})
    add("HalfAtATime", "Server", minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 50})
    add("AllAtOnce", "Server", minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 0})
    for platform, canaries, linears in (
        (
            "Lambda",
            (5, 10, 15, 30),
            ((1, "1Minute"), (2, "2Minutes"), (3, "3Minutes"), (10, "10Minutes")),
        ),
        ("ECS", (5, 15), ((1, "1Minutes"), (3, "3Minutes"))),
    ):
        add(f"{platform}AllAtOnce", platform, trafficRoutingConfig={"type": "AllAtOnce"})
        for minutes in canaries:
            add(
                f"{platform}Canary10Percent{minutes}Minutes",
                platform,
                trafficRoutingConfig={
                    "type": "TimeBasedCanary",
                    "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": minutes},
                },
            )
        for minutes, suffix in linears:
            add(
                f"{platform}Linear10PercentEvery{suffix}",
                platform,
                trafficRoutingConfig={
                    "type": "TimeBasedLinear",
                    "timeBasedLinear": {"linearPercentage": 10, "linearInterval": minutes},
                },
            )
    return configs


PREDEFINED_CONFIGS = _predefined_configs()


class CodeDeployStore(BaseStore):
    """What moto does not model: custom deployment configurations, by name."""

    deployment_configs: dict[str, dict] = LocalAttribute(default=dict)


codedeploy_stores = AccountRegionBundle("codedeploy", CodeDeployStore)

# Fields of Create/UpdateDeploymentGroup that are stored and returned exactly as given.
_GROUP_FIELDS = (
    "deploymentConfigName",
    "ec2TagFilters",
    "onPremisesInstanceTagFilters",
    "autoScalingGroups",
    "serviceRoleArn",
    "triggerConfigurations",
    "alarmConfiguration",
    "autoRollbackConfiguration",
    "outdatedInstancesStrategy",
    "deploymentStyle",
    "blueGreenDeploymentConfiguration",
    "loadBalancerInfo",
    "ec2TagSet",
    "ecsServices",
    "onPremisesTagSet",
    "terminationHookEnabled",
)


def _backend(context: RequestContext) -> CodeDeployBackend:
    return codedeploy_backends[context.account_id][context.region]


def _store(context: RequestContext) -> CodeDeployStore:
    return codedeploy_stores[context.account_id][context.region]


def app_arn(region: str, account_id: str, application: str) -> str:
    return f"arn:{get_partition(region)}:codedeploy:{region}:{account_id}:application:{application}"


def group_arn(region: str, account_id: str, application: str, group: str) -> str:
    return (
        f"arn:{get_partition(region)}:codedeploy:{region}:{account_id}:"
        f"deploymentgroup:{application}/{group}"
    )


def _require(value: Any, code: str, field: str) -> Any:
    if not value:
        raise aws_error(code, f"{field} is required")
    return value


def _check_app_name(name: Any) -> str:
    _require(name, "ApplicationNameRequiredException", "applicationName")
    if len(name) > 100:
        raise aws_error("InvalidApplicationNameException", "The application name is too long")
    return name


def _check_group_name(name: Any, field: str = "deploymentGroupName") -> str:
    _require(name, "DeploymentGroupNameRequiredException", field)
    if len(name) > 100:
        raise aws_error(
            "InvalidDeploymentGroupNameException", "The deployment group name is too long"
        )
    return name


def _application(backend: CodeDeployBackend, name: str):
    app = backend.applications.get(name)
    if app is None:
        raise aws_error(
            "ApplicationDoesNotExistException",
            f"The application {name} does not exist with the user or AWS account.",
        )
    return app


def _group(backend: CodeDeployBackend, application: str, name: str) -> DeploymentGroup:
    _application(backend, application)
    group = backend.deployment_groups.get(application, {}).get(name)
    if group is None:
        raise aws_error(
            "DeploymentGroupDoesNotExistException",
            f"The deployment group {name} does not exist with the user or AWS account.",
        )
    return group


def _config(context: RequestContext, name: str) -> dict | None:
    return PREDEFINED_CONFIGS.get(name) or _store(context).deployment_configs.get(name)


def _group_info(group: DeploymentGroup) -> dict:
    """The group as AWS returns it; moto's own rendering loses the alarm configuration."""
    info = getattr(group, "pipewright_info", None)
    if info is None:
        # A group created through moto directly: fall back to its rendering.
        info = {k: v for k, v in group.to_dict().items() if v not in (None, {}, "None")}
    info = copy.deepcopy(info)
    # Requests name Auto Scaling groups; responses describe them as structures.
    info["autoScalingGroups"] = [
        name if isinstance(name, dict) else {"name": name}
        for name in info.get("autoScalingGroups") or []
    ]
    return info


def _sync_moto_group(group: DeploymentGroup, info: dict) -> None:
    """Keeps the attributes moto's deployment operations read in step with our document."""
    group.deployment_group_name = info["deploymentGroupName"]
    group.deployment_config_name = info.get("deploymentConfigName")
    group.service_role_arn = info.get("serviceRoleArn")
    group.deployment_style = info.get("deploymentStyle") or {}
    group.blue_green_deployment_configuration = info.get("blueGreenDeploymentConfiguration") or {}
    group.load_balancer_info = info.get("loadBalancerInfo") or {}
    group.auto_rollback_configuration = info.get("autoRollbackConfiguration") or {}
    group.alarm_configuration = info.get("alarmConfiguration")


class CodeDeployProvider(Provider):
    service = "codedeploy"

    # Applications. Get, BatchGet and List are moto's own and need nothing more.

    def create_application(self, context: RequestContext, request: dict) -> dict:
        name = _check_app_name(request.get("applicationName"))
        platform = request.get("computePlatform") or "Server"
        if platform not in COMPUTE_PLATFORMS:
            raise aws_error(
                "InvalidComputePlatformException", f"Invalid compute platform {platform}"
            )
        tags = request.get("tags") or []
        reject_system_tags((t.get("Key", "") for t in tags), "InvalidTagsToAddException")
        backend = _backend(context)
        if name in backend.applications:
            raise aws_error(
                "ApplicationAlreadyExistsException",
                f"The application {name} already exists with the user or AWS account.",
            )
        return {"applicationId": backend.create_application(name, platform, tags)}

    def delete_application(self, context: RequestContext, request: dict) -> dict:
        name = _check_app_name(request.get("applicationName"))
        backend = _backend(context)
        # AWS deletes the application's deployment groups with it, and succeeds when the
        # application does not exist.
        for group_name in list(backend.deployment_groups.pop(name, {})):
            backend.tagger.delete_all_tags_for_resource(
                group_arn(context.region, context.account_id, name, group_name)
            )
        if backend.applications.pop(name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(
                app_arn(context.region, context.account_id, name)
            )
        return {}

    # Deployment configurations.

    def create_deployment_config(self, context: RequestContext, request: dict) -> dict:
        name = _require(
            request.get("deploymentConfigName"),
            "DeploymentConfigNameRequiredException",
            "deploymentConfigName",
        )
        if len(name) > 100:
            raise aws_error("InvalidDeploymentConfigNameException", "The name is too long")
        platform = request.get("computePlatform") or "Server"
        if platform not in COMPUTE_PLATFORMS:
            raise aws_error(
                "InvalidComputePlatformException", f"Invalid compute platform {platform}"
            )
        if _config(context, name) is not None:
            raise aws_error(
                "DeploymentConfigAlreadyExistsException",
                f"A deployment configuration with the name {name} already exists "
                "with the user or AWS account.",
            )
        hosts = request.get("minimumHealthyHosts")
        if platform == "Server":
            if not hosts:
                raise aws_error(
                    "InvalidMinimumHealthyHostValueException",
                    "minimumHealthyHosts is required for the Server compute platform",
                )
            if (
                hosts.get("type") not in ("HOST_COUNT", "FLEET_PERCENT")
                or (hosts.get("value") or 0) < 0
            ):
                raise aws_error(
                    "InvalidMinimumHealthyHostValueException",
                    "minimumHealthyHosts needs a type HOST_COUNT or FLEET_PERCENT and a value >= 0",
                )
        routing = request.get("trafficRoutingConfig")
        if routing and routing.get("type") not in (
            None,
            "AllAtOnce",
            "TimeBasedCanary",
            "TimeBasedLinear",
        ):
            raise aws_error(
                "InvalidTrafficRoutingConfigurationException",
                f"Invalid traffic routing type {routing.get('type')}",
            )
        config = {
            "deploymentConfigId": str(uuid.uuid4()),
            "deploymentConfigName": name,
            "computePlatform": platform,
            "createTime": now(),
        }
        for field in ("minimumHealthyHosts", "trafficRoutingConfig", "zonalConfig"):
            if request.get(field) is not None:
                config[field] = copy.deepcopy(request[field])
        _store(context).deployment_configs[name] = config
        return {"deploymentConfigId": config["deploymentConfigId"]}

    def get_deployment_config(self, context: RequestContext, request: dict) -> dict:
        name = _require(
            request.get("deploymentConfigName"),
            "DeploymentConfigNameRequiredException",
            "deploymentConfigName",
        )
        config = _config(context, name)
        if config is None:
            raise aws_error(
                "DeploymentConfigDoesNotExistException",
                f"The deployment configuration {name} does not exist with the user or AWS account.",
            )
        return {"deploymentConfigInfo": copy.deepcopy(config)}

    def list_deployment_configs(self, context: RequestContext, request: dict) -> dict:
        names = sorted(PREDEFINED_CONFIGS) + sorted(_store(context).deployment_configs)
        return {"deploymentConfigsList": names}

    def delete_deployment_config(self, context: RequestContext, request: dict) -> dict:
        name = _require(
            request.get("deploymentConfigName"),
            "DeploymentConfigNameRequiredException",
            "deploymentConfigName",
        )
        if name in PREDEFINED_CONFIGS:
            raise aws_error(
                "InvalidOperationException",
                f"The predefined configuration {name} cannot be deleted",
            )
        backend = _backend(context)
        for groups in backend.deployment_groups.values():
            for group in groups.values():
                if _group_info(group).get("deploymentConfigName") == name:
                    raise aws_error(
                        "DeploymentConfigInUseException",
                        f"The deployment configuration {name} is still in use",
                    )
        _store(context).deployment_configs.pop(name, None)
        return {}

    # Deployment groups.

    def _validate_group_fields(self, context: RequestContext, request: dict) -> None:
        config_name = request.get("deploymentConfigName")
        if config_name and _config(context, config_name) is None:
            raise aws_error(
                "DeploymentConfigDoesNotExistException",
                f"The deployment configuration {config_name} does not exist with the user "
                "or AWS account.",
            )
        style = request.get("deploymentStyle") or {}
        if style.get("deploymentType") not in (None, "IN_PLACE", "BLUE_GREEN") or style.get(
            "deploymentOption"
        ) not in (None, "WITH_TRAFFIC_CONTROL", "WITHOUT_TRAFFIC_CONTROL"):
            raise aws_error("InvalidDeploymentStyleException", f"Invalid deployment style {style}")
        if request.get("outdatedInstancesStrategy") not in (None, "UPDATE", "IGNORE"):
            raise aws_error(
                "InvalidInputException", "outdatedInstancesStrategy must be UPDATE or IGNORE"
            )

    def create_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        name = _check_group_name(request.get("deploymentGroupName"))
        backend = _backend(context)
        app = _application(backend, app_name)
        if name in backend.deployment_groups.get(app_name, {}):
            raise aws_error(
                "DeploymentGroupAlreadyExistsException",
                f"The deployment group {name} already exists with the user or AWS account.",
            )
        if not request.get("serviceRoleArn"):
            raise aws_error("RoleRequiredException", "serviceRoleArn is required")
        self._validate_group_fields(context, request)
        tags = request.get("tags") or []
        reject_system_tags((t.get("Key", "") for t in tags), "InvalidTagsToAddException")
        platform = app.compute_platform or "Server"

        group_id = backend.create_deployment_group(
            application_name=app_name,
            deployment_group_name=name,
            deployment_config_name=request.get("deploymentConfigName") or DEFAULT_CONFIG[platform],
            ec2_tag_filters=request.get("ec2TagFilters"),
            on_premises_instance_tag_filters=request.get("onPremisesInstanceTagFilters"),
            auto_scaling_groups=request.get("autoScalingGroups"),
            service_role_arn=request["serviceRoleArn"],
            tags=tags,
        )
        # What AWS returns for a group, defaults first, then everything given.
        info = {
            "applicationName": app_name,
            "deploymentGroupId": group_id,
            "deploymentGroupName": name,
            "deploymentConfigName": DEFAULT_CONFIG[platform],
            "computePlatform": platform,
            "ec2TagFilters": [],
            "onPremisesInstanceTagFilters": [],
            "autoScalingGroups": [],
            "triggerConfigurations": [],
            "alarmConfiguration": {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []},
            "deploymentStyle": {
                "deploymentType": "IN_PLACE",
                "deploymentOption": "WITHOUT_TRAFFIC_CONTROL",
            },
            "outdatedInstancesStrategy": "UPDATE",
            "terminationHookEnabled": False,
        }
        for field in _GROUP_FIELDS:
            if request.get(field) is not None:
                info[field] = copy.deepcopy(request[field])
        group = backend.deployment_groups[app_name][name]
        group.pipewright_info = info
        _sync_moto_group(group, info)
        return {"deploymentGroupId": group_id}

    def get_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        name = _check_group_name(request.get("deploymentGroupName"))
        return {"deploymentGroupInfo": _group_info(_group(_backend(context), app_name, name))}

    def batch_get_deployment_groups(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        names = request.get("deploymentGroupNames") or []
        if not names:
            raise aws_error(
                "DeploymentGroupNameRequiredException", "deploymentGroupNames is required"
            )
        if len(names) > 100:
            raise aws_error("BatchLimitExceededException", "At most 100 names can be given")
        backend = _backend(context)
        _application(backend, app_name)
        groups = backend.deployment_groups.get(app_name, {})
        found = [_group_info(groups[n]) for n in names if n in groups]
        missing = [n for n in names if n not in groups]
        result: dict = {"deploymentGroupsInfo": found}
        if missing:
            result["errorMessage"] = "Deployment groups not found: " + ", ".join(missing)
        return result

    def list_deployment_groups(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        backend = _backend(context)
        _application(backend, app_name)
        return {
            "applicationName": app_name,
            "deploymentGroups": sorted(backend.deployment_groups.get(app_name, {})),
        }

    def update_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        current = _check_group_name(
            request.get("currentDeploymentGroupName"), "currentDeploymentGroupName"
        )
        backend = _backend(context)
        group = _group(backend, app_name, current)
        new_name = request.get("newDeploymentGroupName") or current
        if new_name != current:
            _check_group_name(new_name, "newDeploymentGroupName")
            if new_name in backend.deployment_groups[app_name]:
                raise aws_error(
                    "DeploymentGroupAlreadyExistsException",
                    f"The deployment group {new_name} already exists with the user or AWS account.",
                )
        self._validate_group_fields(context, request)

        info = _group_info(group)
        # Omitted fields keep their value; given ones replace it (an empty list clears).
        for field in _GROUP_FIELDS:
            if request.get(field) is not None:
                info[field] = copy.deepcopy(request[field])
        if new_name != current:
            info["deploymentGroupName"] = new_name
            groups = backend.deployment_groups[app_name]
            groups[new_name] = groups.pop(current)
            old_arn = group_arn(context.region, context.account_id, app_name, current)
            new_arn = group_arn(context.region, context.account_id, app_name, new_name)
            if backend.tagger.has_tags(old_arn):
                backend.tagger.copy_tags(old_arn, new_arn)
                backend.tagger.delete_all_tags_for_resource(old_arn)
        group.pipewright_info = info
        _sync_moto_group(group, info)
        return {"hooksNotCleanedUp": []}

    def delete_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        name = _check_group_name(request.get("deploymentGroupName"))
        backend = _backend(context)
        # Like AWS, deleting a group that is not there succeeds.
        if backend.deployment_groups.get(app_name, {}).pop(name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(
                group_arn(context.region, context.account_id, app_name, name)
            )
        return {"hooksNotCleanedUp": []}

    # Tags, on application and deployment group ARNs.

    def _resource_for_arn(
        self, arn_value: Any, check_exists: bool
    ) -> tuple[CodeDeployBackend, str]:
        if not arn_value:
            raise aws_error("ResourceArnRequiredException", "ResourceArn is required")
        arn = Arn.parse(arn_value)
        if arn is None or arn.service != "codedeploy" or ":" not in arn.resource:
            raise aws_error("InvalidArnException", f"The ARN {arn_value} is not valid")
        kind, _, name = arn.resource.partition(":")
        backend = codedeploy_backends[arn.account][arn.region]
        if kind == "application":
            if check_exists:
                _application(backend, name)
        elif kind == "deploymentgroup" and "/" in name:
            if check_exists:
                application, _, group = name.partition("/")
                _group(backend, application, group)
        else:
            raise aws_error("ArnNotSupportedException", f"Tags are not supported on {arn_value}")
        return backend, arn_value

    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        backend, arn = self._resource_for_arn(request.get("ResourceArn"), check_exists=True)
        tags = request.get("Tags")
        if not tags:
            raise aws_error("TagRequiredException", "Tags is required")
        reject_system_tags((t.get("Key", "") for t in tags), "InvalidTagsToAddException")
        backend.tagger.tag_resource(arn, tags)
        return {}

    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        backend, arn = self._resource_for_arn(request.get("ResourceArn"), check_exists=True)
        keys = request.get("TagKeys")
        if keys is None:
            raise aws_error("TagRequiredException", "TagKeys is required")
        backend.tagger.untag_resource_using_names(arn, keys)
        return {}

    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        backend, arn = self._resource_for_arn(request.get("ResourceArn"), check_exists=False)
        tags = backend.tagger.get_tag_dict_for_resource(arn)
        return {"Tags": [{"Key": k, "Value": v or ""} for k, v in sorted(tags.items())]}


def tagged_resources(backend: CodeDeployBackend):
    """(ARN, resource type, tags) of applications and deployment groups, for the tagging API."""
    region, account = backend.region_name, backend.account_id
    for name in list(backend.applications):
        arn = app_arn(region, account, name)
        yield arn, "application", dict(backend.tagger.get_tag_dict_for_resource(arn))
    for application, groups in list(backend.deployment_groups.items()):
        for name in list(groups):
            arn = group_arn(region, account, application, name)
            yield arn, "deploymentgroup", dict(backend.tagger.get_tag_dict_for_resource(arn))
