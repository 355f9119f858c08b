"""Lambda functions whose metadata is good although nothing can run them.

LocalStack 4.13.1 prepares every new function version for its Docker runtime executor
(``LambdaVersionManager.start`` calls ``prepare_version``, which pulls the runtime image). In host
mode there is no container runtime, so that step raises and the version goes ``Failed``
("Error while creating lambda: ..."), although nothing about the function itself is wrong. On AWS
a function whose code and configuration were accepted becomes ``Active``
(https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html), and a CodeDeploy deployment
needs only that metadata: the function, its published versions and its alias.

So, when Docker does not work (no ``docker`` command, or no daemon behind it), the emulator
selects the runtime executor below (the ``localstack.lambda.runtime_executor`` plugin
``pipewright-no-runtime``, LocalStack's own extension point for how functions run): preparing a
version does nothing, so versions become ``Active``; running one (an Invoke) fails at once and
says that this emulator cannot run Lambda functions. The launcher selects this module's Lambda
provider (``PROVIDER_OVERRIDE_LAMBDA=pipewright``), which is LocalStack's own with that executor.

It also fixes LocalStack's ``UpdateAlias`` with a ``RoutingConfig``: 4.13.1 calls
``_create_routing_config_model`` without the alias's function version and answers
``InternalError`` ("missing 1 required positional argument: 'function_version'"). The routing
configuration is now checked against the version the alias points to after the update, as AWS
does (UpdateAlias, https://docs.aws.amazon.com/lambda/latest/api/API_UpdateAlias.html: the alias's
``FunctionVersion`` with ``RoutingConfig.AdditionalVersionWeights`` for one other version).
"""

from __future__ import annotations

import contextvars
import os
import shutil

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.plugins import Service, aws_provider

EXECUTOR_NAME = "pipewright-no-runtime"
CANNOT_RUN = (
    "The pipewright emulator cannot run Lambda functions: LocalStack runs in host mode here, "
    "without the container runtime that executes function code. Function, version and alias "
    "metadata work; invocations do not."
)


def _executor_class():
    """The executor (built on first use: LocalStack's Lambda modules load only with Lambda)."""
    from localstack.services.lambda_.invocation.runtime_executor import (
        LambdaRuntimeException,
        RuntimeExecutor,
    )

    class NoRuntimeExecutor(RuntimeExecutor):
        """Keeps versions ``Active`` and refuses to run them (see the module's doc)."""

        def start(self, env_vars: dict[str, str]) -> None:
            raise LambdaRuntimeException(CANNOT_RUN)

        def stop(self) -> None:
            pass

        def get_address(self) -> str:
            return "127.0.0.1"

        def get_endpoint_from_executor(self) -> str:
            return "127.0.0.1"

        def get_runtime_endpoint(self) -> str:
            return "http://127.0.0.1:9"

        def invoke(self, payload: dict[str, str]):
            raise LambdaRuntimeException(CANNOT_RUN)

        def get_logs(self) -> str:
            return CANNOT_RUN

        @classmethod
        def prepare_version(cls, function_version) -> None:
            # Nothing to prepare: the code was accepted by CreateFunction; it is never run here.
            return None

        @classmethod
        def cleanup_version(cls, function_version) -> None:
            return None

        @classmethod
        def validate_environment(cls) -> bool:
            return True

    return NoRuntimeExecutor


class NoRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """The ``localstack.lambda.runtime_executor`` plugin ``pipewright-no-runtime``."""

    name = EXECUTOR_NAME

    def load(self, *args, **kwargs):
        return _executor_class()


def no_container_runtime() -> bool:
    """No working Docker: no ``docker`` command, or one that reaches no daemon (as here)."""
    if shutil.which("docker") is None:
        return True
    from localstack.utils.docker_utils import DOCKER_CLIENT

    return not DOCKER_CLIENT.has_docker()


# The alias an UpdateAlias call is updating, for the routing check below.
_UPDATING: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "pipewright_lambda_update_alias", default=None
)


@aws_provider(api="lambda", name="pipewright")
def lambda_provider() -> Service:
    """LocalStack's own Lambda provider (``PROVIDER_OVERRIDE_LAMBDA=pipewright``, set by the
    launcher), with the executor and the UpdateAlias fix of this module."""
    from localstack.services.lambda_.provider import LambdaProvider

    install()
    return Service.for_provider(LambdaProvider())


_INSTALLED = False


def install() -> None:
    """Selects the executor (unless one was chosen) and fixes UpdateAlias's routing check."""
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from localstack import config
    from localstack.services.lambda_ import api_utils
    from localstack.services.lambda_.provider import LambdaProvider, get_function_version
    from localstack.utils.patch import patch

    if not os.environ.get("LAMBDA_RUNTIME_EXECUTOR") and no_container_runtime():
        config.LAMBDA_RUNTIME_EXECUTOR = EXECUTOR_NAME

    @patch(LambdaProvider.update_alias)
    def update_alias(fn, self, context, function_name, name, *args, **kwargs):
        token = _UPDATING.set((context, function_name, name, args, kwargs))
        try:
            return fn(self, context, function_name, name, *args, **kwargs)
        finally:
            _UPDATING.reset(token)

    @patch(LambdaProvider._create_routing_config_model)
    def create_routing_config_model(fn, self, routing_config_dict, function_version=None):
        updating = _UPDATING.get()
        if function_version is None and updating is not None:
            context, function_name, name, args, kwargs = updating
            account_id, region = api_utils.get_account_and_region(function_name, context)
            function_name = api_utils.get_function_name(function_name, context)
            wanted = kwargs.get("function_version", args[0] if args else None)
            if wanted is None:
                function = self._get_function(
                    function_name=function_name, region=region, account_id=account_id
                )
                wanted = function.aliases[name].function_version
            function_version = get_function_version(
                function_name=function_name,
                qualifier=wanted,
                region=region,
                account_id=account_id,
            )
        return fn(self, routing_config_dict, function_version)
