"""CodeDeploy provider: applications, deployment configurations, deployment groups and tags.

Applications and deployment groups live in moto's CodeDeploy backend, so moto's deployment
operations (CreateDeployment, GetDeployment...) keep seeing them. What moto lacks is added here:

- deployment groups keep and return every field given (moto answers an empty alarm configuration
  and empty structures for fields never set), can be updated and renamed, and are deleted with
  their application;
- deployment configurations (moto has none), including the predefined ``CodeDeployDefault.*`` ones;
- tags checked against the resource they name.

The deployment group document AWS returns and the custom deployment configurations are kept in
``CodeDeployStore`` (groups by id, which survives a rename; configurations by name); moto's group
object keeps the attributes its deployment operations read, in step with that document.

AWS's behaviour followed here: the CodeDeploy API Reference,
https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_Operations.html (one page per
operation, ``API_<Operation>.html``), and for the predefined configurations
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timezone
from typing import Any, NamedTuple

from localstack.aws.api import RequestContext
from localstack.services.stores import AccountRegionBundle, LocalAttribute
from moto.codedeploy.models import CodeDeployBackend, DeploymentGroup, codedeploy_backends
from moto.utilities.utils import get_partition

from .common import Arn, aws_error, now, paginate
from .deployments.api import DeploymentsApi
from .dispatch import Provider
from .state import Store, locked, locked_in, reject_system_tags

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

# Tags per ListTagsForResource page (see list_tags_for_resource).
_TAGS_PER_PAGE = 10


class CodeDeployStore(Store):
    """CodeDeploy state the extension adds: custom deployment configurations by name, and each
    deployment group's document (as AWS returns it) by group id."""

    moto_backends = codedeploy_backends
    deployment_configs: dict[str, dict] = LocalAttribute(default=dict)
    groups: dict[str, dict] = LocalAttribute(default=dict)
    # Deployments (``deployments.api``): each DeploymentInfo document by id (with its
    # ``_internal`` part, never returned), its targets by instance id, the last successful
    # deployment per group id, and the registered on-premises instances by name.
    deployments: dict[str, dict] = LocalAttribute(default=dict)
    targets: dict[str, dict[str, dict]] = LocalAttribute(default=dict)
    last_successful: dict[str, str] = LocalAttribute(default=dict)
    on_premises: dict[str, dict] = LocalAttribute(default=dict)

    def config(self, name: str) -> dict | None:
        """A deployment configuration by name, predefined or custom."""
        return PREDEFINED_CONFIGS.get(name) or self.deployment_configs.get(name)

    def group_info(self, group: DeploymentGroup) -> dict:
        """The group as AWS returns it; moto's own rendering loses the alarm configuration."""
        info = self.groups.get(group.deployment_group_id)
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

    def set_group_info(self, group: DeploymentGroup, info: dict) -> None:
        """Records a group's document and keeps the attributes moto's deployment operations read
        in step with it."""
        self.groups[group.deployment_group_id] = info
        group.deployment_group_name = info["deploymentGroupName"]
        group.deployment_config_name = info.get("deploymentConfigName")
        group.service_role_arn = info.get("serviceRoleArn")
        group.deployment_style = info.get("deploymentStyle") or {}
        group.blue_green_deployment_configuration = (
            info.get("blueGreenDeploymentConfiguration") or {}
        )
        group.load_balancer_info = info.get("loadBalancerInfo") or {}
        group.auto_rollback_configuration = info.get("autoRollbackConfiguration") or {}
        group.alarm_configuration = info.get("alarmConfiguration")


codedeploy_stores = AccountRegionBundle("codedeploy", CodeDeployStore, validate=False)

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


class CodeDeployProvider(DeploymentsApi, Provider):
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
        # CreateApplication: ApplicationAlreadyExistsException; checked and created in one step.
        with locked(codedeploy_stores, context) as store:
            backend = store.backend
            if name in backend.applications:
                raise aws_error(
                    "ApplicationAlreadyExistsException",
                    f"The application {name} already exists with the user or AWS account.",
                )
            return {"applicationId": backend.create_application(name, platform, tags)}

    def delete_application(self, context: RequestContext, request: dict) -> dict:
        name = _check_app_name(request.get("applicationName"))
        with locked(codedeploy_stores, context) as store:
            backend = store.backend
            # AWS deletes the application's deployment groups with it, and succeeds when the
            # application does not exist (DeleteApplication).
            for group_name, group in list(backend.deployment_groups.pop(name, {}).items()):
                store.groups.pop(group.deployment_group_id, None)
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
        with locked(codedeploy_stores, context) as store:
            # CreateDeploymentConfig: DeploymentConfigAlreadyExistsException, checked before the
            # request's content (as before) and in the same step as the creation.
            if store.config(name) is not None:
                raise aws_error(
                    "DeploymentConfigAlreadyExistsException",
                    f"A deployment configuration with the name {name} already exists "
                    "with the user or AWS account.",
                )
            _validate_config_fields(platform, request)
            config = {
                "deploymentConfigId": str(uuid.uuid4()),
                "deploymentConfigName": name,
                "computePlatform": platform,
                "createTime": now(),
            }
            for field in ("minimumHealthyHosts", "trafficRoutingConfig", "zonalConfig"):
                if request.get(field) is not None:
                    config[field] = copy.deepcopy(request[field])
            store.deployment_configs[name] = config
        return {"deploymentConfigId": config["deploymentConfigId"]}

    def get_deployment_config(self, context: RequestContext, request: dict) -> dict:
        name = _require(
            request.get("deploymentConfigName"),
            "DeploymentConfigNameRequiredException",
            "deploymentConfigName",
        )
        with locked(codedeploy_stores, context) as store:
            config = copy.deepcopy(store.config(name))
        if config is None:
            raise aws_error(
                "DeploymentConfigDoesNotExistException",
                f"The deployment configuration {name} does not exist with the user or AWS account.",
            )
        return {"deploymentConfigInfo": config}

    def list_deployment_configs(self, context: RequestContext, request: dict) -> dict:
        with locked(codedeploy_stores, context) as store:
            custom = sorted(store.deployment_configs)
        return {"deploymentConfigsList": sorted(PREDEFINED_CONFIGS) + custom}

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
        # "Not in use" and the deletion are one step, so no group can start using the
        # configuration in between (DeleteDeploymentConfig: DeploymentConfigInUseException).
        with locked(codedeploy_stores, context) as store:
            for groups in store.backend.deployment_groups.values():
                for group in groups.values():
                    if store.group_info(group).get("deploymentConfigName") == name:
                        raise aws_error(
                            "DeploymentConfigInUseException",
                            f"The deployment configuration {name} is still in use",
                        )
            store.deployment_configs.pop(name, None)
        return {}

    # Deployment groups.

    def create_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        name = _check_group_name(request.get("deploymentGroupName"))
        # The checks (application there, name free, configuration there) and the creation are
        # one step (CreateDeploymentGroup: DeploymentGroupAlreadyExistsException).
        with locked(codedeploy_stores, context) as store:
            backend = store.backend
            app = _application(backend, app_name)
            if name in backend.deployment_groups.get(app_name, {}):
                raise aws_error(
                    "DeploymentGroupAlreadyExistsException",
                    f"The deployment group {name} already exists with the user or AWS account.",
                )
            if not request.get("serviceRoleArn"):
                raise aws_error("RoleRequiredException", "serviceRoleArn is required")
            platform = app.compute_platform or "Server"
            _validate_group_fields(store, request)
            _check_platform_fields(platform, request)
            tags = request.get("tags") or []
            reject_system_tags((t.get("Key", "") for t in tags), "InvalidTagsToAddException")

            group_id = backend.create_deployment_group(
                application_name=app_name,
                deployment_group_name=name,
                deployment_config_name=request.get("deploymentConfigName")
                or DEFAULT_CONFIG[platform],
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
                "alarmConfiguration": {
                    "enabled": False,
                    "ignorePollAlarmFailure": False,
                    "alarms": [],
                },
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
            store.set_group_info(backend.deployment_groups[app_name][name], info)
        return {"deploymentGroupId": group_id}

    def get_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        name = _check_group_name(request.get("deploymentGroupName"))
        with locked(codedeploy_stores, context) as store:
            info = store.group_info(_group(store.backend, app_name, name))
        return {"deploymentGroupInfo": info}

    def batch_get_deployment_groups(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        names = request.get("deploymentGroupNames") or []
        if not names:
            raise aws_error(
                "DeploymentGroupNameRequiredException", "deploymentGroupNames is required"
            )
        if len(names) > 100:
            raise aws_error("BatchLimitExceededException", "At most 100 names can be given")
        with locked(codedeploy_stores, context) as store:
            backend = store.backend
            _application(backend, app_name)
            groups = backend.deployment_groups.get(app_name, {})
            found = [store.group_info(groups[n]) for n in names if n in groups]
            missing = [n for n in names if n not in groups]
        result: dict = {"deploymentGroupsInfo": found}
        if missing:
            result["errorMessage"] = "Deployment groups not found: " + ", ".join(missing)
        return result

    def list_deployment_groups(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        with locked(codedeploy_stores, context) as store:
            backend = store.backend
            _application(backend, app_name)
            names = sorted(backend.deployment_groups.get(app_name, {}))
        return {"applicationName": app_name, "deploymentGroups": names}

    def update_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        current = _check_group_name(
            request.get("currentDeploymentGroupName"), "currentDeploymentGroupName"
        )
        # Read, checked (the new name free) and written back as one step.
        with locked(codedeploy_stores, context) as store:
            backend = store.backend
            group = _group(backend, app_name, current)
            new_name = request.get("newDeploymentGroupName") or current
            if new_name != current:
                _check_group_name(new_name, "newDeploymentGroupName")
                if new_name in backend.deployment_groups[app_name]:
                    raise aws_error(
                        "DeploymentGroupAlreadyExistsException",
                        f"The deployment group {new_name} already exists with the user or AWS "
                        "account.",
                    )
            _validate_group_fields(store, request)
            _check_platform_fields(
                backend.applications[app_name].compute_platform or "Server", request
            )

            info = store.group_info(group)
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
            store.set_group_info(group, info)
        return {"hooksNotCleanedUp": []}

    def delete_deployment_group(self, context: RequestContext, request: dict) -> dict:
        app_name = _check_app_name(request.get("applicationName"))
        name = _check_group_name(request.get("deploymentGroupName"))
        with locked(codedeploy_stores, context) as store:
            backend = store.backend
            # Like AWS, deleting a group that is not there succeeds (DeleteDeploymentGroup).
            group = backend.deployment_groups.get(app_name, {}).pop(name, None)
            if group is not None:
                store.groups.pop(group.deployment_group_id, None)
                backend.tagger.delete_all_tags_for_resource(
                    group_arn(context.region, context.account_id, app_name, name)
                )
        return {"hooksNotCleanedUp": []}

    # Tags, on application and deployment group ARNs (TagResource, UntagResource,
    # ListTagsForResource). moto's tagger holds them: it is moto's own per-backend tag store.

    def tag_resource(self, context: RequestContext, request: dict) -> dict:
        arn = _tag_target(request.get("ResourceArn"))
        tags = request.get("Tags")
        with locked_in(codedeploy_stores, arn.account, arn.region) as store:
            _check_tag_target(store.backend, arn)
            if not tags:
                raise aws_error("TagRequiredException", "Tags is required")
            reject_system_tags((t.get("Key", "") for t in tags), "InvalidTagsToAddException")
            store.backend.tagger.tag_resource(arn.value, tags)
        return {}

    def untag_resource(self, context: RequestContext, request: dict) -> dict:
        arn = _tag_target(request.get("ResourceArn"))
        keys = request.get("TagKeys")
        with locked_in(codedeploy_stores, arn.account, arn.region) as store:
            _check_tag_target(store.backend, arn)
            if keys is None:
                raise aws_error("TagRequiredException", "TagKeys is required")
            store.backend.tagger.untag_resource_using_names(arn.value, keys)
        return {}

    def list_tags_for_resource(self, context: RequestContext, request: dict) -> dict:
        arn = _tag_target(request.get("ResourceArn"))
        with locked_in(codedeploy_stores, arn.account, arn.region) as store:
            tags = store.backend.tagger.get_tag_dict_for_resource(arn.value)
        listed = [{"Key": k, "Value": v or ""} for k, v in sorted(tags.items())]
        # ListTagsForResource answers in pages ("NextToken: An identifier that is returned from
        # a previous call ... It can be used to return the next set"); AWS does not say how many
        # tags a page holds, so pages are kept small here: a client that reads only the first
        # one misses tags.
        page, token = paginate(listed, request.get("NextToken"), None, _TAGS_PER_PAGE)
        if page is None:
            raise aws_error("InvalidNextTokenException", "The next token is not valid")
        return {"Tags": page, **({"NextToken": token} if token else {})}


def _validate_config_fields(platform: str, request: dict) -> None:
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


# Fields that only EC2/on-premises (Server) groups have, with the error AWS answers when an ECS
# or Lambda group is given one, even empty: "InvalidAutoScalingGroupException: For ECS
# deployment group, autoScalingGroups can not be specified" (hashicorp/terraform-provider-aws
# #7128, an empty list sent on update); the tag filters and tag sets fail alike under the
# exceptions CreateDeploymentGroup / UpdateDeploymentGroup list for them (InvalidEC2TagException,
# InvalidTagException: "The tag was specified in an invalid format").
_SERVER_ONLY_FIELDS = (
    ("autoScalingGroups", "InvalidAutoScalingGroupException"),
    ("ec2TagFilters", "InvalidEC2TagException"),
    ("ec2TagSet", "InvalidEC2TagException"),
    ("onPremisesInstanceTagFilters", "InvalidTagException"),
    ("onPremisesTagSet", "InvalidTagException"),
)


def _check_platform_fields(platform: str, request: dict) -> None:
    """Refuses the fields the group's compute platform does not have (the API Reference:
    ``ecsServices`` "applies only to deployment groups that use the Amazon ECS compute
    platform"; Lambda groups have neither instances nor ECS services)."""
    if platform != "Server":
        for field, code in _SERVER_ONLY_FIELDS:
            if request.get(field) is not None:
                raise aws_error(
                    code, f"For {platform} deployment group, {field} can not be specified"
                )
    if platform != "ECS" and request.get("ecsServices") is not None:
        raise aws_error(
            "InvalidECSServiceException",
            f"For {platform} deployment group, ecsServices can not be specified",
        )


def _validate_group_fields(store: CodeDeployStore, request: dict) -> None:
    config_name = request.get("deploymentConfigName")
    if config_name and store.config(config_name) is None:
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


class _TagTarget(NamedTuple):
    value: str
    account: str
    region: str
    kind: str
    name: str


def _tag_target(arn_value: Any) -> _TagTarget:
    """An application or deployment group ARN, checked for form only."""
    if not arn_value:
        raise aws_error("ResourceArnRequiredException", "ResourceArn is required")
    arn = Arn.parse(arn_value)
    if arn is None or arn.service != "codedeploy" or ":" not in arn.resource:
        raise aws_error("InvalidArnException", f"The ARN {arn_value} is not valid")
    kind, _, name = arn.resource.partition(":")
    if kind != "application" and not (kind == "deploymentgroup" and "/" in name):
        raise aws_error("ArnNotSupportedException", f"Tags are not supported on {arn_value}")
    return _TagTarget(arn_value, arn.account, arn.region, kind, name)


def _check_tag_target(backend: CodeDeployBackend, arn: _TagTarget) -> None:
    """Tagging a resource needs the resource; listing tags does not (as before)."""
    if arn.kind == "application":
        _application(backend, arn.name)
    else:
        application, _, group = arn.name.partition("/")
        _group(backend, application, group)


def tagged_resources(store: CodeDeployStore):
    """(ARN, resource type, tags) of applications and deployment groups, for the tagging API."""
    backend = store.backend
    region, account = backend.region_name, backend.account_id
    found = []
    with store.lock:
        for name in backend.applications:
            arn = app_arn(region, account, name)
            found.append((arn, "application", dict(backend.tagger.get_tag_dict_for_resource(arn))))
        for application, groups in backend.deployment_groups.items():
            for name in groups:
                arn = group_arn(region, account, application, name)
                tags = dict(backend.tagger.get_tag_dict_for_resource(arn))
                found.append((arn, "deploymentgroup", tags))
    yield from found


# The hooks CodePipeline's CodeDeploy actions call (``executor.actions``): a deployment of the
# action's input artifact as an S3 ZIP revision (action-reference-CodeDeploy; RevisionLocation
# ``S3`` with ``bundleType: zip``), run like any other (``deployments``).


def create_pipeline_deployment(
    account_id: str, region: str, application: str, group: str, bucket: str, key: str
) -> str:
    """Creates and starts a deployment for a pipeline action; returns its id. Raises AWS's
    CreateDeployment errors (a missing application or group, an active deployment)."""
    from .deployments import api

    revision = {
        "revisionType": "S3",
        "s3Location": {"bucket": bucket, "key": key, "bundleType": "zip"},
    }
    with locked_in(codedeploy_stores, account_id, region) as store:
        backend = store.backend
        info = store.group_info(_group(backend, application, group))
        platform = backend.applications[application].compute_platform or "Server"
        if platform != "Server":
            revision["s3Location"]["bundleType"] = "YAML"
        deployment_id = api.create_deployment_record(
            store,
            info,
            platform,
            revision,
            info.get("deploymentConfigName") or DEFAULT_CONFIG[platform],
            creator="user",
            description="Deployment created by CodePipeline",
        )
    api.launch(account_id, region, deployment_id)
    return deployment_id


def check_pipeline_group(
    account_id: str, region: str, application: str, group: str, platform: str
) -> None:
    """Raises CodeDeploy's errors for a pipeline action's application and group: missing, or
    of another compute platform than the action deploys to."""
    with locked_in(codedeploy_stores, account_id, region) as store:
        backend = store.backend
        _group(backend, application, group)
        found = backend.applications[application].compute_platform or "Server"
    if found != platform:
        raise aws_error(
            "InvalidComputePlatformException",
            f"The application {application} uses the {found} compute platform, and this action "
            f"deploys to the {platform} compute platform",
        )


def pipeline_deployment_status(
    account_id: str, region: str, deployment_id: str
) -> tuple[str, dict | None]:
    """A deployment's status and ``errorInformation`` (GetDeployment)."""
    with locked_in(codedeploy_stores, account_id, region) as store:
        info = store.deployments[deployment_id]
        return info["status"], copy.deepcopy(info.get("errorInformation"))


def stop_pipeline_deployment(account_id: str, region: str, deployment_id: str) -> None:
    """StopDeployment for a pipeline action that is cancelled; a finished one is left alone."""
    from .deployments import api, server

    with locked_in(codedeploy_stores, account_id, region) as store:
        info = store.deployments.get(deployment_id)
        if info is None or info["status"] in api.DONE:
            return
        info["_internal"]["stop_requested"] = True
    run = server.running(deployment_id)
    if run is not None:
        run.stop()
