"""Service provider entry points (group ``localstack.aws.provider``).

LocalStack resolves these lazily, on the first request to each service, so this module stays
import-light: the providers, and moto's models behind them, are imported inside the factories.
The names follow LocalStack's ``<api>:<provider>`` convention; ``default`` is what LocalStack picks
when no override is configured, and the tagging API and CloudWatch Logs use ``pipewright``,
selected by the launcher with ``PROVIDER_OVERRIDE_RESOURCEGROUPSTAGGINGAPI=pipewright`` and
``PROVIDER_OVERRIDE_LOGS=pipewright``.
"""

from localstack.services.plugins import Service, aws_provider


def _service(provider) -> Service:
    from .dispatch import dispatch_table_for

    return Service.for_provider(provider, dispatch_table_factory=dispatch_table_for)


@aws_provider(api="codecommit")
def codecommit() -> Service:
    from .codecommit import CodeCommitProvider

    return _service(CodeCommitProvider())


@aws_provider(api="codebuild")
def codebuild() -> Service:
    from .codebuild import CodeBuildProvider

    return _service(CodeBuildProvider())


@aws_provider(api="codedeploy")
def codedeploy() -> Service:
    from .codedeploy import CodeDeployProvider

    return _service(CodeDeployProvider())


@aws_provider(api="codepipeline")
def codepipeline() -> Service:
    from .codepipeline import CodePipelineProvider

    return _service(CodePipelineProvider())


@aws_provider(api="ecr")
def ecr() -> Service:
    from .ecr import EcrProvider

    return _service(EcrProvider())


@aws_provider(api="codeartifact")
def codeartifact() -> Service:
    from .codeartifact import CodeArtifactProvider

    return _service(CodeArtifactProvider())


@aws_provider(api="resourcegroupstaggingapi", name="pipewright")
def resourcegroupstaggingapi() -> Service:
    # The tagging API reads the Code* providers' modules only when they are loaded; nothing to
    # import eagerly here.
    from .tagging import TaggingProvider

    return _service(TaggingProvider())


@aws_provider(api="logs", name="pipewright")
def logs() -> Service:
    # LocalStack's own CloudWatch Logs provider, stricter where pipewright relies on it (see
    # ``logs``); what it does not handle goes to moto, as LocalStack's own registration does.
    from localstack.services.moto import MotoFallbackDispatcher

    from .logs import PipewrightLogsProvider

    return Service.for_provider(
        PipewrightLogsProvider(), dispatch_table_factory=MotoFallbackDispatcher
    )
