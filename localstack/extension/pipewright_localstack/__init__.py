"""LocalStack extension that lets pipewright's test tier run against a local emulator.

LocalStack's community edition serves S3, IAM, STS and EventBridge, but answers CodeCommit,
CodeBuild, CodeDeploy and CodePipeline with "not included in your license". This package registers
providers for those four services (backed by the moto models LocalStack already ships, plus what
moto lacks), a resource-tagging provider that sees every resource pipewright owns, and a few
start-up hooks that keep the emulator on loopback, inside its state folder and tied to the process
that started it.

Modules:

- ``plugins``: the entry points LocalStack discovers (providers); kept import-light.
- ``hooks``: the ``on_infra_start`` hooks (loopback bind, S3 storage folder, owner watchdog,
  EventBridge target for pipelines, the git route).
- ``dispatch``: turns a provider object into the dispatch table LocalStack's skeleton serves.
- ``common``: small helpers shared by the providers (errors, times, ARNs, pagination), and in its
  docstring the one rule for state and locks.
- ``state``: the stores (one per service, account and region, each with its lock), backend and
  store lookup, and the tag checks every service shares.
- ``codecommit``, ``codebuild``, ``codedeploy``, ``codepipeline``, ``tagging``: the providers.
- ``gitstore``: CodeCommit's content, one bare git repository per repository, driven by git
  plumbing; ``githttp``: serves those repositories to the git CLI (``git http-backend``) from the
  gateway; ``codecommit_events``: the state-change events a moved branch puts on EventBridge.
- ``executor``: what runs pipeline executions (state machine, scheduler, one runner per action
  kind); its ``__init__`` places each of its modules in one sentence.
"""
