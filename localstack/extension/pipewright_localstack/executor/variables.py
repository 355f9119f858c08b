"""Variables of pipeline executions (pure): pipeline-level values and references in configuration.

AWS's rules (CodePipeline user guide, "Variables reference",
https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-variables.html):

- A reference is ``#{namespace.name}``. Three kinds of namespace: ``codepipeline`` (reserved, with
  ``PipelineExecutionId``), ``variables`` (pipeline-level variables, V2 pipelines) and the
  ``namespace`` an action declares, holding that action's output variables.
- An action can use only variables of actions that ran before it in the same execution; a
  reference that cannot be resolved when the action starts fails that action (AWS documents no
  fallback to the literal text; we are strict and fail it, naming the reference).
- Pipeline-level variables take the value given to StartPipelineExecution, else their
  ``defaultValue`` (PipelineVariableDeclaration); a name the pipeline does not declare is refused
  (StartPipelineExecution: ValidationException), and so is a declared variable with neither.
- Names: letters, digits and ``@ - _`` (PipelineVariableName, ``[A-Za-z0-9@\\-_]+``, 1-128);
  values at most 1000 characters (PipelineVariableValue).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

REFERENCE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}")
NAME = re.compile(r"^[A-Za-z0-9@\-_]{1,128}$")
MAX_VALUE = 1000


class Unresolved(Exception):
    """A reference in an action's configuration has no value in this execution."""

    def __init__(self, field: str, reference: str):
        super().__init__(f"Unable to resolve variable {reference} in configuration field {field}")
        self.field = field
        self.reference = reference


class Invalid(Exception):
    """A start request's variables break a rule; the message is AWS's ValidationException text."""


def resolve(configuration: Mapping[str, str], scopes: Mapping[str, Mapping[str, str]]) -> dict:
    """The configuration with every reference replaced; raises ``Unresolved`` for the first miss.

    ``scopes`` maps a namespace to its variables (``variables``, ``codepipeline`` and each
    action namespace that has produced output variables in this execution).
    """
    resolved = {}
    for field in configuration:
        value = configuration[field]
        if not isinstance(value, str):
            resolved[field] = value
            continue

        def substitute(match: re.Match, field: str = field) -> str:
            scope = scopes.get(match.group(1))
            if scope is None or match.group(2) not in scope:
                raise Unresolved(field, match.group(0))
            return str(scope[match.group(2)])

        resolved[field] = REFERENCE.sub(substitute, value)
    return resolved


def pipeline_values(declared: list[dict] | None, given: list[dict] | None) -> dict[str, str]:
    """The pipeline-level variables of a new execution, from the declaration and the request."""
    defaults = {d["name"]: d.get("defaultValue") for d in declared or []}
    values: dict[str, str] = {}
    for variable in given or []:
        name = variable.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise Invalid(f"Variable name {name!r} is not valid")
        if name not in defaults:
            raise Invalid(f"Variable {name} is not defined in the pipeline")
        if name in values:
            raise Invalid(f"Variable {name} is given more than once")
        value = variable.get("value")
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise Invalid(f"Variable {name} needs a string value of at most {MAX_VALUE} characters")
        values[name] = value
    for name, default in defaults.items():
        if name in values:
            continue
        if default is None:
            raise Invalid(f"Variable {name} has no default value and no value was given")
        values[name] = default
    return values
