"""The AppSpec files of Lambda and ECS revisions, and the ECS task definition template (pure).

AWS's rules:

- Lambda AppSpec ("AppSpec 'resources' section (Amazon ECS and AWS Lambda deployments only)" and
  "AppSpec 'hooks' section", https://docs.aws.amazon.com/codedeploy/latest/userguide/
  reference-appspec-file-structure-resources.html): YAML or JSON, ``version: 0.0``, ``Resources``
  a list with one ``AWS::Lambda::Function`` whose ``Properties`` are ``Name``, ``Alias``,
  ``CurrentVersion`` and ``TargetVersion``; ``Hooks`` a list of ``BeforeAllowTraffic`` /
  ``AfterAllowTraffic`` entries naming a Lambda function each. A revision that fails these checks
  fails the deployment ``INVALID_LAMBDA_CONFIGURATION`` with CodeDeploy's message ("The deployment
  failed because the AppSpec file that specifies the AWS Lambda deployment configuration is
  missing or has an invalid configuration.") and, where AWS adds one, a sentence saying what.
- ECS AppSpec: ``Resources`` with one ``TargetService`` of ``Type: AWS::ECS::Service`` whose
  ``Properties`` have ``TaskDefinition`` and ``LoadBalancerInfo`` (``ContainerName``,
  ``ContainerPort``); ``Hooks`` among ``BeforeInstall``, ``AfterInstall``,
  ``AfterAllowTestTraffic``, ``BeforeAllowTraffic``, ``AfterAllowTraffic``.
- The CodeDeployToECS action ("Amazon Elastic Container Service and CodeDeploy blue-green deploy
  action reference", https://docs.aws.amazon.com/codepipeline/latest/userguide/
  action-reference-ECSbluegreen.html, and "Image definitions file reference", ``imageDetail.json``
  for blue/green deployments): the task definition template (``taskdef.json`` by default) is JSON;
  each ``ImageNContainerName`` names a placeholder ``<NAME>`` in it, replaced with the
  ``ImageURI`` of ``imageDetail.json`` in the artifact ``ImageNArtifactName``. The action's errors
  are its documented ones ("Exception while trying to read the task definition artifact file
  from: <artifact>", from CodePipeline's troubleshooting page; "Exception while trying to read the
  image artifact file from the artifact: <artifact>.").

Only PyYAML (which LocalStack depends on) and the standard library.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

LAMBDA_INVALID = (
    "The deployment failed because the AppSpec file that specifies the AWS Lambda deployment "
    "configuration is missing or has an invalid configuration."
)
ALIAS_VERSION_MISMATCH = (
    "The Lambda function alias version does not match the current version in AppSpec file."
)
LAMBDA_HOOKS = ("BeforeAllowTraffic", "AfterAllowTraffic")
ECS_HOOKS = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)
ECS_INVALID = (
    "The deployment failed because the AppSpec file that specifies the Amazon ECS deployment "
    "configuration is missing or has an invalid configuration."
)


class SpecError(Exception):
    """A revision that fails its checks; ``str(error)`` is the message AWS reports."""


@dataclass(frozen=True)
class LambdaSpec:
    resource: str
    name: str
    alias: str
    current_version: str
    target_version: str
    hooks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EcsSpec:
    task_definition: str
    container_name: str
    container_port: int
    hooks: dict[str, str] = field(default_factory=dict)


def _document(text: str, invalid: str) -> dict:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SpecError(f"{invalid} The AppSpec file is not valid YAML or JSON: {_line(e)}") from e
    if not isinstance(document, dict):
        raise SpecError(f"{invalid} The AppSpec file is not a YAML or JSON mapping.")
    version = document.get("version")
    # JSON AppSpec files write the version as the string "0.0", YAML ones as the number.
    if isinstance(version, bool) or version not in (0, 0.0, "0.0"):
        raise SpecError(f"{invalid} The version must be 0.0, not {version!r}.")
    return document


def _hooks(document: dict, allowed: tuple[str, ...], invalid: str) -> dict[str, str]:
    section = document.get("Hooks") or []
    if not isinstance(section, list):
        raise SpecError(f"{invalid} The Hooks section must be a list.")
    hooks: dict[str, str] = {}
    for entry in section:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise SpecError(f"{invalid} Each entry of the Hooks section names one hook.")
        ((event, function),) = entry.items()
        if event not in allowed:
            raise SpecError(
                f"{invalid} {event} is not a lifecycle event hook of this compute platform "
                f"(allowed: {', '.join(allowed)})."
            )
        if not isinstance(function, str) or not function.strip():
            raise SpecError(f"{invalid} The {event} hook names no Lambda function.")
        hooks[event] = function.strip()
    return hooks


def _one_resource(document: dict, invalid: str, what: str) -> tuple[str, dict]:
    resources = document.get("Resources")
    if not isinstance(resources, list) or not resources:
        raise SpecError(f"{invalid} The Resources section must list the {what} to deploy.")
    if len(resources) > 1:
        raise SpecError(f"{invalid} The Resources section can list only one {what}.")
    entry = resources[0]
    if not isinstance(entry, dict) or len(entry) != 1:
        raise SpecError(f"{invalid} The resource must be a mapping of one name to its definition.")
    ((name, body),) = entry.items()
    if not isinstance(body, dict):
        raise SpecError(f"{invalid} The resource {name} has no Type and Properties.")
    return str(name), body


def _text(value) -> str | None:
    """A property as CodeDeploy reads it: YAML's ``CurrentVersion: 1`` is the version "1"."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    text = str(value).strip()
    return text or None


def parse_lambda(text: str) -> LambdaSpec:
    """Parses and checks a Lambda AppSpec; raises ``SpecError`` with CodeDeploy's message."""
    document = _document(text, LAMBDA_INVALID)
    resource, body = _one_resource(document, LAMBDA_INVALID, "Lambda function")
    if body.get("Type") != "AWS::Lambda::Function":
        raise SpecError(
            f"{LAMBDA_INVALID} The type of resource {resource} must be AWS::Lambda::Function."
        )
    properties = body.get("Properties")
    if not isinstance(properties, dict):
        raise SpecError(f"{LAMBDA_INVALID} The resource {resource} has no Properties.")
    values = {}
    for key in ("Name", "Alias", "CurrentVersion", "TargetVersion"):
        values[key] = _text(properties.get(key))
        if values[key] is None:
            raise SpecError(f"{LAMBDA_INVALID} The {key} property of {resource} is missing.")
    return LambdaSpec(
        resource=resource,
        name=values["Name"],
        alias=values["Alias"],
        current_version=values["CurrentVersion"],
        target_version=values["TargetVersion"],
        hooks=_hooks(document, LAMBDA_HOOKS, LAMBDA_INVALID),
    )


def parse_ecs(text: str) -> EcsSpec:
    """Parses and checks an ECS AppSpec; raises ``SpecError``."""
    document = _document(text, ECS_INVALID)
    resource, body = _one_resource(document, ECS_INVALID, "Amazon ECS service")
    if body.get("Type") != "AWS::ECS::Service":
        raise SpecError(f"{ECS_INVALID} The type of resource {resource} must be AWS::ECS::Service.")
    properties = body.get("Properties")
    if not isinstance(properties, dict):
        raise SpecError(f"{ECS_INVALID} The resource {resource} has no Properties.")
    task_definition = _text(properties.get("TaskDefinition"))
    if task_definition is None:
        raise SpecError(f"{ECS_INVALID} The TaskDefinition property of {resource} is missing.")
    balancer = properties.get("LoadBalancerInfo")
    if not isinstance(balancer, dict):
        raise SpecError(f"{ECS_INVALID} The LoadBalancerInfo property of {resource} is missing.")
    container = _text(balancer.get("ContainerName"))
    if container is None:
        raise SpecError(f"{ECS_INVALID} LoadBalancerInfo of {resource} names no ContainerName.")
    port = balancer.get("ContainerPort")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise SpecError(
            f"{ECS_INVALID} LoadBalancerInfo of {resource} needs a ContainerPort from 1 to 65535."
        )
    return EcsSpec(
        task_definition=task_definition,
        container_name=container,
        container_port=port,
        hooks=_hooks(document, ECS_HOOKS, ECS_INVALID),
    )


# --------------------------------------------------------------------------------------------
# The CodeDeployToECS action's inputs

# ``<NAME>`` placeholders as the action fills them: letters, digits and underscores.
_PLACEHOLDER = re.compile(r"<([A-Za-z][A-Za-z0-9_]*)>")
TASK_DEFINITION_PLACEHOLDER = "TASK_DEFINITION"


def task_definition_error(artifact: str, detail: str) -> SpecError:
    return SpecError(
        f"Exception while trying to read the task definition artifact file from: {artifact}. "
        f"{detail}"
    )


def image_error(artifact: str, detail: str) -> SpecError:
    return SpecError(
        f"Exception while trying to read the image artifact file from the artifact: {artifact}. "
        f"{detail}"
    )


def image_uri(text: str | None, artifact: str) -> str:
    """The ``ImageURI`` of an artifact's ``imageDetail.json`` (``None``: the file is missing)."""
    if text is None:
        raise image_error(artifact, "The artifact has no imageDetail.json at its root.")
    try:
        document = json.loads(text)
    except ValueError as e:
        raise image_error(artifact, f"imageDetail.json is not valid JSON: {e}.") from e
    uri = document.get("ImageURI") if isinstance(document, dict) else None
    if not isinstance(uri, str) or not uri.strip():
        raise image_error(artifact, "imageDetail.json has no ImageURI string.")
    return uri.strip()


def fill_task_definition(text: str | None, artifact: str, images: dict[str, str]) -> dict:
    """The task definition template with each ``<placeholder>`` of ``images`` replaced by its
    image URI, checked: JSON, an object with ``containerDefinitions``, every placeholder given
    found, none left without an image."""
    if text is None:
        raise task_definition_error(artifact, "The file is not in the artifact.")
    for name in images:
        if f"<{name}>" not in text:
            raise task_definition_error(
                artifact,
                f"The placeholder <{name}> named by the action's container name is not in the "
                "task definition template.",
            )
    filled = text
    for name, uri in images.items():
        filled = filled.replace(f"<{name}>", uri)
    try:
        document = json.loads(filled)
    except ValueError as e:
        raise task_definition_error(artifact, f"The file is not valid JSON: {e}.") from e
    if not isinstance(document, dict) or not isinstance(document.get("containerDefinitions"), list):
        raise task_definition_error(
            artifact, "The task definition has no containerDefinitions list."
        )
    left = sorted(set(_PLACEHOLDER.findall(filled)) - {TASK_DEFINITION_PLACEHOLDER})
    if left:
        raise task_definition_error(
            artifact,
            f"The placeholder <{left[0]}> has no image: no ImageNArtifactName with an "
            f"imageDetail.json is configured for container name {left[0]}.",
        )
    return document


def _line(error: Exception) -> str:
    return " ".join(str(error).split())
