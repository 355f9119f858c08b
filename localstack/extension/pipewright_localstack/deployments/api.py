"""CodeDeploy's deployment and on-premises instance operations, served by the extension.

AWS's behaviour followed here: the CodeDeploy API Reference, one page per operation
(https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_<Operation>.html), the shapes of
``DeploymentInfo``, ``InstanceTarget``, ``InstanceSummary``, ``LifecycleEvent`` and
``ErrorInformation``, and the error codes of "Error codes for AWS CodeDeploy"
(https://docs.aws.amazon.com/codedeploy/latest/userguide/error-codes.html).

A deployment is a document (``DeploymentInfo`` as GetDeployment returns it) and its targets
(``InstanceTarget`` per instance) in ``CodeDeployStore``; a background thread per deployment
(``server.start``) moves them on, taking the store's lock only to write each change.
"""

from __future__ import annotations

import copy
import random
import string
from typing import Any

from ..common import as_datetime, aws_error, now, paginate
from ..state import locked, locked_in
from . import alarms, planner, server

ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
DONE = ("Succeeded", "Failed", "Stopped")
_ID_CHARS = string.ascii_uppercase + string.digits
_PAGE = 100

NO_INSTANCES_MESSAGE = (
    "The deployment failed because no instances were found for your deployment group. Check "
    "your deployment group settings to make sure the tags for your Amazon EC2 instances or Auto "
    "Scaling groups correctly identify the instances you want to deploy to, and then try again."
)
STOP_MESSAGE = "The deployment was stopped by a user"
NO_ROLLBACK_MESSAGE = (
    "Automatic rollback was not performed: the deployment group has no earlier successful "
    "deployment to roll back to."
)


def new_deployment_id() -> str:
    """``d-`` and 9 upper-case letters or digits, as AWS's ids are."""
    return "d-" + "".join(random.choice(_ID_CHARS) for _ in range(9))


def _stores():
    from ..codedeploy import codedeploy_stores

    return codedeploy_stores


def _deployment(store, deployment_id: Any) -> dict:
    if not deployment_id:
        raise aws_error("DeploymentIdRequiredException", "At least one deployment ID is required.")
    if not isinstance(deployment_id, str) or not deployment_id.startswith("d-"):
        raise aws_error(
            "InvalidDeploymentIdException", f"The deployment ID {deployment_id} is not valid."
        )
    found = store.deployments.get(deployment_id)
    if found is None:
        raise aws_error(
            "DeploymentDoesNotExistException",
            f"The deployment {deployment_id} could not be found.",
        )
    return found


def _overview(targets: dict) -> dict:
    counts = {k: 0 for k in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")}
    for target in targets.values():
        status = target["status"]
        if status in counts:
            counts[status] += 1
    return counts


def _render(store, deployment_id: str) -> dict:
    info = copy.deepcopy(store.deployments[deployment_id])
    info.pop("_internal", None)
    if info.get("computePlatform", "Server") != "ECS":
        info["deploymentOverview"] = _overview(store.targets.get(deployment_id, {}))
    return info


def _deployment_target(target: dict) -> dict:
    """A stored target as ``DeploymentTarget``: ``instanceTarget`` or ``lambdaTarget``."""
    shown = copy.deepcopy(target)
    kind = shown.pop("_type", "InstanceTarget")
    member = "lambdaTarget" if kind == "LambdaTarget" else "instanceTarget"
    return {"deploymentTargetType": kind, member: shown}


def _validate_revision(revision: Any, platform: str) -> dict:
    if not revision:
        raise aws_error("RevisionRequiredException", "The revision ID was not specified.")
    kind = revision.get("revisionType")
    if kind == "GitHub":
        # GitHub revisions need GitHub; the emulator has no network and no GitHub connection.
        raise aws_error(
            "InvalidRevisionException",
            "GitHub revisions are not supported by the pipewright emulator (it reaches no "
            "network): put the revision in the emulator's S3 instead",
        )
    if kind == "S3":
        location = revision.get("s3Location") or {}
        if not location.get("bucket") or not location.get("key"):
            raise aws_error("InvalidRevisionException", "The S3 location needs a bucket and a key")
        bundle = location.get("bundleType")
        allowed = ("tar", "tgz", "zip") if platform == "Server" else ("YAML", "JSON")
        if bundle is not None and bundle not in allowed:
            raise aws_error(
                "InvalidRevisionException",
                f"Bundle type {bundle} is not valid for the {platform} compute platform",
            )
        return revision
    if kind in ("String", "AppSpecContent"):
        if platform == "Server":
            raise aws_error(
                "InvalidRevisionException",
                f"Revision type {kind} is not valid for the Server compute platform",
            )
        return revision
    raise aws_error("InvalidRevisionException", f"Invalid revision type {kind}")


class DeploymentsApi:
    """Mixed into ``CodeDeployProvider``: every deployment and on-premises operation."""

    # Deployments.

    def create_deployment(self, context, request: dict) -> dict:
        from ..codedeploy import _application, _check_app_name, _group

        app_name = _check_app_name(request.get("applicationName"))
        group_name = request.get("deploymentGroupName")
        if not group_name:
            raise aws_error(
                "DeploymentGroupNameRequiredException", "The deployment group name is required"
            )
        behavior = request.get("fileExistsBehavior")
        alarms = request.get("overrideAlarmConfiguration")
        if behavior not in (None, "DISALLOW", "OVERWRITE", "RETAIN"):
            raise aws_error(
                "InvalidFileExistsBehaviorException",
                f"The fileExistsBehavior {behavior} is not valid: use DISALLOW, OVERWRITE or "
                "RETAIN",
            )
        with locked(_stores(), context) as store:
            app = _application(store.backend, app_name)
            group = store.group_info(_group(store.backend, app_name, group_name))
            platform = app.compute_platform or "Server"
            if platform != "Server" and behavior is not None:
                # As AWS answers (hashicorp and aws-toolkit-azure-devops #288 quote it).
                raise aws_error(
                    "InvalidFileExistsBehaviorException",
                    "For Lambda and ECS deployment, fileExistsBehavior can not be specified",
                )
            revision = _validate_revision(request.get("revision"), platform)
            config_name = request.get("deploymentConfigName") or group.get("deploymentConfigName")
            config = store.config(config_name)
            if config is None:
                raise aws_error(
                    "DeploymentConfigDoesNotExistException",
                    f"The deployment configuration {config_name} does not exist with the user "
                    "or AWS account.",
                )
            if config.get("computePlatform", "Server") != platform:
                raise aws_error(
                    "InvalidDeploymentConfigNameException",
                    f"The deployment configuration {config_name} is for the "
                    f"{config.get('computePlatform')} compute platform, not {platform}",
                )
            deployment_id = create_deployment_record(
                store,
                group,
                platform,
                revision,
                config_name,
                creator="user",
                description=request.get("description"),
                ignore_stop_failures=bool(request.get("ignoreApplicationStopFailures")),
                file_exists_behavior=behavior or "DISALLOW",
                auto_rollback=request.get("autoRollbackConfiguration"),
                alarm_override=alarms,
            )
        launch(context.account_id, context.region, deployment_id)
        return {"deploymentId": deployment_id}

    def get_deployment(self, context, request: dict) -> dict:
        with locked(_stores(), context) as store:
            _deployment(store, request.get("deploymentId"))
            return {"deploymentInfo": _render(store, request["deploymentId"])}

    def batch_get_deployments(self, context, request: dict) -> dict:
        ids = request.get("deploymentIds") or []
        if not ids:
            raise aws_error(
                "DeploymentIdRequiredException", "At least one deployment ID is required."
            )
        if len(ids) > 25:
            raise aws_error(
                "BatchLimitExceededException",
                "The maximum number of names or IDs allowed for this request (25) was exceeded.",
            )
        with locked(_stores(), context) as store:
            infos = [_render(store, i) for i in ids if i in store.deployments]
        return {"deploymentsInfo": infos}

    def list_deployments(self, context, request: dict) -> dict:
        app_name = request.get("applicationName")
        group_name = request.get("deploymentGroupName")
        if group_name and not app_name:
            raise aws_error(
                "ApplicationNameRequiredException",
                "If deploymentGroupName is specified, applicationName is required",
            )
        statuses = request.get("includeOnlyStatuses") or []
        for status in statuses:
            if status not in ACTIVE + DONE:
                raise aws_error("InvalidDeploymentStatusException", f"Invalid status {status}")
        time_range = request.get("createTimeRange") or {}
        start, end = as_datetime(time_range.get("start")), as_datetime(time_range.get("end"))
        with locked(_stores(), context) as store:
            if app_name:
                from ..codedeploy import _application, _group

                _application(store.backend, app_name)
                if group_name:
                    _group(store.backend, app_name, group_name)
            listed = sorted(store.deployments.values(), key=lambda d: d["createTime"], reverse=True)
            ids = [
                d["deploymentId"]
                for d in listed
                if (not app_name or d["applicationName"] == app_name)
                and (not group_name or d["deploymentGroupName"] == group_name)
                and (not statuses or d["status"] in statuses)
                and (not request.get("externalId") or d.get("externalId") == request["externalId"])
                and (start is None or d["createTime"] >= start)
                and (end is None or d["createTime"] <= end)
            ]
        page, token = paginate(ids, request.get("nextToken"), None, _PAGE)
        if page is None:
            raise aws_error(
                "InvalidNextTokenException", "The next token was specified in an invalid format."
            )
        return {"deployments": page, **({"nextToken": token} if token else {})}

    def stop_deployment(self, context, request: dict) -> dict:
        with locked(_stores(), context) as store:
            info = _deployment(store, request.get("deploymentId"))
            if info["status"] in DONE:
                raise aws_error(
                    "DeploymentAlreadyCompletedException",
                    f"The deployment {info['deploymentId']} has already completed.",
                )
            internal = info["_internal"]
            internal["stop_requested"] = True
            internal["rollback_on_stop"] = bool(request.get("autoRollbackEnabled"))
        run = server.running(info["deploymentId"])
        if run is not None:
            run.stop()
        return {
            "status": "Pending",
            "statusMessage": "Stopping Pending. Stopping to schedule commands in the deployment "
            "instances",
        }

    def list_deployment_targets(self, context, request: dict) -> dict:
        filters = request.get("targetFilters") or {}
        for name in filters:
            if name not in ("TargetStatus", "ServerInstanceLabel"):
                raise aws_error("InvalidTargetFilterNameException", f"Invalid filter name {name}")
        with locked(_stores(), context) as store:
            info = _deployment(store, request.get("deploymentId"))
            _started(info)
            targets = store.targets.get(info["deploymentId"], {})
            wanted = filters.get("TargetStatus")
            ids = [t for t, v in targets.items() if not wanted or v["status"] in wanted]
        page, token = paginate(ids, request.get("nextToken"), None, _PAGE)
        if page is None:
            raise aws_error(
                "InvalidNextTokenException", "The next token was specified in an invalid format."
            )
        return {"targetIds": page, **({"nextToken": token} if token else {})}

    def batch_get_deployment_targets(self, context, request: dict) -> dict:
        ids = request.get("targetIds") or []
        if not ids:
            raise aws_error(
                "DeploymentTargetIdRequiredException", "A deployment target ID was not provided."
            )
        if len(ids) > 25:
            raise aws_error(
                "DeploymentTargetListSizeExceededException",
                "The maximum number of targets that can be associated with an Amazon ECS or AWS "
                "Lambda deployment was exceeded. The target list of both types of deployments "
                "must have exactly one item. This exception does not apply to EC2/On-premises "
                "deployments.",
            )
        with locked(_stores(), context) as store:
            info = _deployment(store, request.get("deploymentId"))
            _started(info)
            targets = store.targets.get(info["deploymentId"], {})
            found = []
            for target_id in ids:
                if target_id not in targets:
                    raise aws_error(
                        "DeploymentTargetDoesNotExistException",
                        f"The provided target ID {target_id} does not belong to the deployment.",
                    )
                found.append(_deployment_target(targets[target_id]))
        return {"deploymentTargets": found}

    def get_deployment_target(self, context, request: dict) -> dict:
        target_id = request.get("targetId")
        if not target_id:
            raise aws_error(
                "DeploymentTargetIdRequiredException", "A deployment target ID was not provided."
            )
        with locked(_stores(), context) as store:
            info = _deployment(store, request.get("deploymentId"))
            _started(info)
            target = store.targets.get(info["deploymentId"], {}).get(target_id)
            if target is None:
                raise aws_error(
                    "DeploymentTargetDoesNotExistException",
                    f"The provided target ID {target_id} does not belong to the deployment.",
                )
            return {"deploymentTarget": _deployment_target(target)}

    def list_deployment_instances(self, context, request: dict) -> dict:
        statuses = request.get("instanceStatusFilter") or []
        for status in statuses:
            if status not in (
                "Pending",
                "InProgress",
                "Succeeded",
                "Failed",
                "Skipped",
                "Unknown",
                "Ready",
            ):
                raise aws_error("InvalidInstanceStatusException", f"Invalid status {status}")
        with locked(_stores(), context) as store:
            info = _deployment(store, request.get("deploymentId"))
            _started(info)
            targets = store.targets.get(info["deploymentId"], {})
            ids = [t for t, v in targets.items() if not statuses or v["status"] in statuses]
        page, token = paginate(ids, request.get("nextToken"), None, _PAGE)
        if page is None:
            raise aws_error(
                "InvalidNextTokenException", "The next token was specified in an invalid format."
            )
        return {"instancesList": page, **({"nextToken": token} if token else {})}

    def get_deployment_instance(self, context, request: dict) -> dict:
        instance_id = request.get("instanceId")
        if not instance_id:
            raise aws_error("InstanceIdRequiredException", "The instance ID was not specified.")
        with locked(_stores(), context) as store:
            info = _deployment(store, request.get("deploymentId"))
            target = store.targets.get(info["deploymentId"], {}).get(instance_id)
            if target is None:
                raise aws_error(
                    "InstanceDoesNotExistException",
                    "The specified instance does not exist in the deployment group.",
                )
            summary = {
                "deploymentId": target["deploymentId"],
                "instanceId": target["targetArn"],
                "status": target["status"],
                "lastUpdatedAt": target["lastUpdatedAt"],
                "lifecycleEvents": copy.deepcopy(target["lifecycleEvents"]),
            }
        return {"instanceSummary": summary}

    # On-premises instances.

    def register_on_premises_instance(self, context, request: dict) -> dict:
        name = _instance_name(request.get("instanceName"))
        session, user = request.get("iamSessionArn"), request.get("iamUserArn")
        if session and user:
            raise aws_error(
                "MultipleIamArnsProvidedException",
                "Both an IAM user ARN and an IAM session ARN were included in the request. Use "
                "only one ARN type.",
            )
        if not session and not user:
            raise aws_error("IamArnRequiredException", "No IAM ARN was included in the request.")
        if user and not (user.startswith("arn:") and ":iam::" in user and ":user/" in user):
            raise aws_error(
                "InvalidIamUserArnException", "The IAM user ARN was specified in an invalid format."
            )
        if session and not (
            session.startswith("arn:") and ":sts::" in session and ":assumed-role/" in session
        ):
            raise aws_error(
                "InvalidIamSessionArnException",
                "The IAM session ARN was specified in an invalid format.",
            )
        with locked(_stores(), context) as store:
            existing = store.on_premises.get(name)
            if existing is not None and not existing.get("deregisterTime"):
                raise aws_error(
                    "InstanceNameAlreadyRegisteredException",
                    "The specified on-premises instance name is already registered.",
                )
            for other in store.on_premises.values():
                if other.get("deregisterTime"):
                    continue
                if user and other.get("iamUserArn") == user:
                    raise aws_error(
                        "IamUserArnAlreadyRegisteredException",
                        "The specified IAM user ARN is already registered with an on-premises "
                        "instance.",
                    )
                if session and other.get("iamSessionArn") == session:
                    raise aws_error(
                        "IamSessionArnAlreadyRegisteredException",
                        "The request included an IAM session ARN that has already been used to "
                        "register a different instance.",
                    )
            suffix = "".join(random.choice(string.ascii_letters + string.digits) for _ in range(10))
            info = {
                "instanceName": name,
                "instanceArn": f"arn:aws:codedeploy:{context.region}:{context.account_id}:"
                f"instance/{name}_{suffix}",
                "registerTime": now(),
                "tags": [],
            }
            info["iamSessionArn" if session else "iamUserArn"] = session or user
            store.on_premises[name] = info
        return {}

    def deregister_on_premises_instance(self, context, request: dict) -> dict:
        name = _instance_name(request.get("instanceName"))
        with locked(_stores(), context) as store:
            info = store.on_premises.get(name)
            if info is not None and not info.get("deregisterTime"):
                info["deregisterTime"] = now()
        return {}

    def add_tags_to_on_premises_instances(self, context, request: dict) -> dict:
        tags, names = _tag_request(request)
        with locked(_stores(), context) as store:
            infos = _registered(store, names)
            for info in infos:
                merged = {t["Key"]: t.get("Value", "") for t in info["tags"]}
                merged.update({t["Key"]: t.get("Value", "") for t in tags})
                if len(merged) > 10:
                    raise aws_error(
                        "TagLimitExceededException",
                        "The maximum allowed number of tags was exceeded.",
                    )
            for info in infos:
                merged = {t["Key"]: t.get("Value", "") for t in info["tags"]}
                merged.update({t["Key"]: t.get("Value", "") for t in tags})
                info["tags"] = [{"Key": k, "Value": v} for k, v in sorted(merged.items())]
        return {}

    def remove_tags_from_on_premises_instances(self, context, request: dict) -> dict:
        tags, names = _tag_request(request)
        with locked(_stores(), context) as store:
            for info in _registered(store, names):
                info["tags"] = [
                    t
                    for t in info["tags"]
                    if not any(
                        r["Key"] == t["Key"] and r.get("Value", t.get("Value")) == t.get("Value")
                        for r in tags
                    )
                ]
        return {}

    def get_on_premises_instance(self, context, request: dict) -> dict:
        name = _instance_name(request.get("instanceName"))
        with locked(_stores(), context) as store:
            info = store.on_premises.get(name)
            if info is None:
                raise aws_error(
                    "InstanceNotRegisteredException",
                    "The specified on-premises instance is not registered.",
                )
            return {"instanceInfo": copy.deepcopy(info)}

    def batch_get_on_premises_instances(self, context, request: dict) -> dict:
        names = request.get("instanceNames") or []
        if not names:
            raise aws_error(
                "InstanceNameRequiredException", "An on-premises instance name was not specified."
            )
        if len(names) > 25:
            raise aws_error(
                "BatchLimitExceededException",
                "The maximum number of names or IDs allowed for this request (25) was exceeded.",
            )
        with locked(_stores(), context) as store:
            infos = [copy.deepcopy(store.on_premises[n]) for n in names if n in store.on_premises]
        return {"instanceInfos": infos}

    def list_on_premises_instances(self, context, request: dict) -> dict:
        status = request.get("registrationStatus")
        if status not in (None, "Registered", "Deregistered"):
            raise aws_error(
                "InvalidRegistrationStatusException",
                "The registration status was specified in an invalid format.",
            )
        filters = request.get("tagFilters") or []
        for tag_filter in filters:
            if tag_filter.get("Type") not in (None, "KEY_ONLY", "VALUE_ONLY", "KEY_AND_VALUE"):
                raise aws_error(
                    "InvalidTagFilterException",
                    "The tag filter was specified in an invalid format.",
                )
        with locked(_stores(), context) as store:
            names = []
            for name, info in sorted(store.on_premises.items()):
                registered = not info.get("deregisterTime")
                if status == "Registered" and not registered:
                    continue
                if status == "Deregistered" and registered:
                    continue
                tags = {t["Key"]: t.get("Value", "") for t in info["tags"]}
                if filters and not any(server.tag_matches(tags, f) for f in filters):
                    continue
                names.append(name)
        page, token = paginate(names, request.get("nextToken"), None, _PAGE)
        if page is None:
            raise aws_error(
                "InvalidNextTokenException", "The next token was specified in an invalid format."
            )
        return {"instanceNames": page, **({"nextToken": token} if token else {})}


def _started(info: dict) -> None:
    if info["status"] in ("Created", "Queued"):
        raise aws_error(
            "DeploymentNotStartedException", "The specified deployment has not started."
        )


def _instance_name(name: Any) -> str:
    if not name:
        raise aws_error(
            "InstanceNameRequiredException", "An on-premises instance name was not specified."
        )
    if not isinstance(name, str) or len(name) > 100:
        raise aws_error(
            "InvalidInstanceNameException",
            "The on-premises instance name was specified in an invalid format.",
        )
    return name


def _tag_request(request: dict) -> tuple[list, list]:
    tags = request.get("tags") or []
    names = request.get("instanceNames") or []
    if not tags:
        raise aws_error("TagRequiredException", "A tag was not specified.")
    if not names:
        raise aws_error(
            "InstanceNameRequiredException", "An on-premises instance name was not specified."
        )
    if len(names) > 10:
        raise aws_error(
            "InstanceLimitExceededException",
            "The maximum number of allowed on-premises instances in a single call was exceeded.",
        )
    for tag in tags:
        if not tag.get("Key") or str(tag["Key"]).lower().startswith("aws:"):
            raise aws_error("InvalidTagException", "The tag was specified in an invalid format.")
    return tags, names


def _registered(store, names: list) -> list[dict]:
    infos = []
    for name in names:
        info = store.on_premises.get(name)
        if info is None or info.get("deregisterTime"):
            raise aws_error(
                "InstanceNotRegisteredException",
                "The specified on-premises instance is not registered.",
            )
        infos.append(info)
    return infos


# --------------------------------------------------------------------------------------------
# Creating and running a deployment


def create_deployment_record(
    store,
    group: dict,
    platform: str,
    revision: dict,
    config_name: str,
    creator: str,
    description: str | None = None,
    ignore_stop_failures: bool = False,
    file_exists_behavior: str = "DISALLOW",
    auto_rollback: dict | None = None,
    rollback_of: str | None = None,
    alarm_override: dict | None = None,
    restore_alias: dict | None = None,
) -> str:
    """Records a new deployment (under the store's lock); ``launch`` starts it."""
    group_id = group["deploymentGroupId"]
    for other in store.deployments.values():
        if other["_internal"]["group_id"] == group_id and other["status"] in ACTIVE:
            raise aws_error(
                "DeploymentLimitExceededException",
                f"The Deployment Group '{group['deploymentGroupName']}' already has an active "
                f"Deployment ('{other['deploymentId']}')",
            )
    deployment_id = new_deployment_id()
    while deployment_id in store.deployments:
        deployment_id = new_deployment_id()
    info: dict = {
        "applicationName": group["applicationName"],
        "deploymentGroupName": group["deploymentGroupName"],
        "deploymentConfigName": config_name,
        "deploymentId": deployment_id,
        "revision": copy.deepcopy(revision),
        "status": "Created",
        "createTime": now(),
        "creator": creator,
        "ignoreApplicationStopFailures": ignore_stop_failures,
        "updateOutdatedInstancesOnly": False,
        "deploymentStyle": copy.deepcopy(group.get("deploymentStyle") or {}),
        "instanceTerminationWaitTimeStarted": False,
        "deploymentStatusMessages": [],
        "computePlatform": platform,
    }
    if platform == "Server":
        info["fileExistsBehavior"] = file_exists_behavior
    if description:
        info["description"] = description
    rollback = (
        auto_rollback if auto_rollback is not None else group.get("autoRollbackConfiguration")
    )
    if rollback:
        info["autoRollbackConfiguration"] = copy.deepcopy(rollback)
    if alarm_override is not None:
        info["overrideAlarmConfiguration"] = copy.deepcopy(alarm_override)
    last = store.last_successful.get(group_id)
    if last is not None:
        info["previousRevision"] = copy.deepcopy(store.deployments[last]["revision"])
    if rollback_of:
        info["rollbackInfo"] = {"rollbackTriggeringDeploymentId": rollback_of}
    info["_internal"] = {
        "group_id": group_id,
        "rollback_of": rollback_of,
        "restore_alias": restore_alias,
    }
    store.deployments[deployment_id] = info
    store.targets[deployment_id] = {}
    return deployment_id


def launch(account_id: str, region: str, deployment_id: str) -> None:
    server.start(deployment_id, lambda run: execute(account_id, region, deployment_id, run))


def execute(account_id: str, region: str, deployment_id: str, run: server.Run) -> None:
    """The deployment's thread: from Created to Succeeded, Failed or Stopped."""
    stores = _stores()
    with locked_in(stores, account_id, region) as store:
        info = store.deployments[deployment_id]
        if info["_internal"].get("stop_requested"):
            run.stopping.set()
        group_id = info["_internal"]["group_id"]
        group = _group_by_id(store, group_id)
        if group is None:
            _finish(
                store,
                deployment_id,
                "Failed",
                "DEPLOYMENT_GROUP_MISSING",
                "The deployment group was deleted before the deployment started.",
            )
            return
        config = store.config(info["deploymentConfigName"]) or {}
        registered = copy.deepcopy(list(store.on_premises.values()))
        info["status"] = "InProgress"
        info["startTime"] = now()
        platform = info["computePlatform"]
        revision = copy.deepcopy(info["revision"])
        context = {
            "deployment_id": deployment_id,
            "application": info["applicationName"],
            "group_name": info["deploymentGroupName"],
            "group_id": group_id,
            "ignore_stop_failures": info["ignoreApplicationStopFailures"],
            "file_exists_behavior": info.get("fileExistsBehavior"),
        }
        internal = copy.deepcopy(info["_internal"])
        alarm_config = info.get("overrideAlarmConfiguration") or group.get("alarmConfiguration")
        if internal.get("rollback_of"):
            # A rollback is what the alarm asked for: the alarm that stopped the deployment
            # (still in ALARM) does not stop the rollback too.
            alarm_config = None
    check_alarms = alarms.watcher(account_id, region, alarm_config)

    def report(target_id: str, target: dict) -> None:
        with locked_in(stores, account_id, region) as store:
            store.targets[deployment_id][target_id] = target

    def finish(status: str, code: str | None = None, message: str | None = None) -> None:
        with locked_in(stores, account_id, region) as store:
            if code == "ALARM_ACTIVE":
                store.deployments[deployment_id]["_internal"]["alarm_stop"] = True
            _finish(store, deployment_id, status, code, message)
        _after(account_id, region, deployment_id)

    if platform == "Lambda":
        from . import lambda_

        if internal.get("restore_alias"):
            finish(*lambda_.restore(account_id, region, deployment_id, internal, report))
            return

        def remember(values: dict) -> None:
            with locked_in(stores, account_id, region) as store:
                store.deployments[deployment_id]["_internal"].setdefault("lambda", {}).update(
                    values
                )

        def lambda_alarms() -> None:
            stopped = check_alarms()
            if stopped is not None:
                raise lambda_.Failure("ALARM_ACTIVE", stopped, status="Stopped")

        finish(
            *lambda_.deploy(
                account_id,
                region,
                deployment_id,
                revision,
                config,
                run,
                report,
                remember,
                lambda_alarms,
            )
        )
        return
    if platform == "ECS":
        from . import ecs

        finish(*ecs.deploy(account_id, region, revision, group))
        return

    try:
        instances = server.ec2_instances(account_id, region, group)
    except Exception as e:
        with locked_in(stores, account_id, region) as store:
            _finish(
                store,
                deployment_id,
                "Failed",
                "INTERNAL_ERROR",
                f"The emulator's EC2 could not be asked for the group's instances: {e}",
            )
        _after(account_id, region, deployment_id)
        return
    instances += server.on_premises_instances(registered, group)
    if not instances:
        with locked_in(stores, account_id, region) as store:
            _finish(store, deployment_id, "Failed", "NO_INSTANCES", NO_INSTANCES_MESSAGE)
        _after(account_id, region, deployment_id)
        return
    try:
        plan = planner.plan(len(instances), config.get("minimumHealthyHosts") or {})
    except planner.HealthConstraintsInvalid as e:
        with locked_in(stores, account_id, region) as store:
            _finish(store, deployment_id, "Failed", "HEALTH_CONSTRAINTS_INVALID", str(e))
        _after(account_id, region, deployment_id)
        return

    for instance in instances:
        pending = server.InstanceDeployment(context, instance, run, report)
        report(instance["id"], pending.target("Pending"))
    try:
        context["bundle"], context["bundle_type"] = server.download(account_id, region, revision)
    except server.RevisionError as e:
        context["revision_error"] = str(e)
    try:
        succeeded, _failed, broke = server.deploy_instances(
            context, instances, plan, run, report, check_alarms
        )
    except server.Stopped:
        with locked_in(stores, account_id, region) as store:
            _finish(store, deployment_id, "Stopped", "MANUAL_STOP", STOP_MESSAGE)
        _after(account_id, region, deployment_id)
        return
    except server.AlarmStopped as e:
        with locked_in(stores, account_id, region) as store:
            store.deployments[deployment_id]["_internal"]["alarm_stop"] = True
            _finish(store, deployment_id, "Stopped", "ALARM_ACTIVE", str(e))
        _after(account_id, region, deployment_id)
        return
    with locked_in(stores, account_id, region) as store:
        if not broke and plan.succeeded(succeeded):
            _finish(store, deployment_id, "Succeeded")
        else:
            _finish(
                store,
                deployment_id,
                "Failed",
                "HEALTH_CONSTRAINTS",
                planner.HEALTH_CONSTRAINTS_MESSAGE,
            )
    _after(account_id, region, deployment_id)


def _group_by_id(store, group_id: str) -> dict | None:
    for groups in store.backend.deployment_groups.values():
        for group in groups.values():
            if group.deployment_group_id == group_id:
                return store.group_info(group)
    return None


def _finish(
    store, deployment_id: str, status: str, code: str | None = None, message: str | None = None
) -> None:
    info = store.deployments[deployment_id]
    info["status"] = status
    info["completeTime"] = now()
    if code:
        info["errorInformation"] = {"code": code, "message": message or ""}
    # Instances never reached are skipped, with every event.
    for target in store.targets.get(deployment_id, {}).values():
        if target["status"] in ("Pending", "InProgress"):
            target["status"] = "Skipped"
            target["lastUpdatedAt"] = now()
            for event in target["lifecycleEvents"]:
                if event["status"] in ("Pending", "InProgress"):
                    event["status"] = "Skipped"
    if status == "Succeeded":
        store.last_successful[info["_internal"]["group_id"]] = deployment_id


def _after(account_id: str, region: str, deployment_id: str) -> None:
    """Auto-rollback ("Redeploy and roll back a deployment",
    https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html):
    a deployment that failed (``DEPLOYMENT_FAILURE`` enabled), was stopped by an alarm
    (``DEPLOYMENT_STOP_ON_ALARM``) or was stopped with ``autoRollbackEnabled`` starts a new
    deployment, ``creator: codeDeployRollback``: of the group's last successful revision
    (EC2/on-premises), or moving the alias back to its original version (Lambda, when traffic had
    started to move).
    """
    stores = _stores()
    with locked_in(stores, account_id, region) as store:
        info = store.deployments[deployment_id]
        internal = info["_internal"]
        rollback = info.get("autoRollbackConfiguration") or {}
        events = rollback.get("events") or [] if rollback.get("enabled") else []
        wanted = (
            (info["status"] == "Failed" and "DEPLOYMENT_FAILURE" in events)
            or (
                info["status"] == "Stopped"
                and internal.get("alarm_stop")
                and "DEPLOYMENT_STOP_ON_ALARM" in events
            )
            or (info["status"] == "Stopped" and internal.get("rollback_on_stop"))
        )
        if not wanted or internal.get("rollback_of") or server_shutting_down():
            return
        group = _group_by_id(store, internal["group_id"])
        restore = None
        if info["computePlatform"] == "Lambda":
            shifted = internal.get("lambda") or {}
            if group is None or not shifted.get("shifted"):
                info["rollbackInfo"] = {
                    "rollbackMessage": "Automatic rollback was not needed: no traffic had moved "
                    "to the target version."
                }
                return
            revision = info["revision"]
            restore = {k: shifted[k] for k in ("function", "alias", "version", "from")}
        else:
            last = store.last_successful.get(internal["group_id"])
            if last is None or group is None:
                info["rollbackInfo"] = {"rollbackMessage": NO_ROLLBACK_MESSAGE}
                return
            revision = store.deployments[last]["revision"]
        new_id = create_deployment_record(
            store,
            group,
            info["computePlatform"],
            revision,
            info["deploymentConfigName"],
            creator="codeDeployRollback",
            ignore_stop_failures=info["ignoreApplicationStopFailures"],
            file_exists_behavior=info.get("fileExistsBehavior") or "DISALLOW",
            auto_rollback=info.get("autoRollbackConfiguration"),
            rollback_of=deployment_id,
            restore_alias=restore,
        )
        info["rollbackInfo"] = {"rollbackDeploymentId": new_id}
    launch(account_id, region, new_id)


_SHUTTING_DOWN = False


def server_shutting_down() -> bool:
    return _SHUTTING_DOWN


def shutdown() -> None:
    global _SHUTTING_DOWN
    _SHUTTING_DOWN = True
    server.shutdown()
