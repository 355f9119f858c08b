"""The pipeline executor: what makes the emulator's pipeline executions run.

One sentence per module:

- ``execution``: the pure state machine of a pipeline's executions, a function of (state, event,
  clock): stages in order, run-order groups, failures, stop, retry, approvals, execution modes and
  disabled transitions; it answers with commands (start or cancel an action) and never does I/O.
- ``variables``: ``#{variables.X}`` / ``#{Namespace.X}`` resolution in action configuration, and
  the pipeline-level variables of a start request.
- ``artifacts``: where CodePipeline puts each output artifact in the artifact store.
- ``shapes``: executions rendered as AWS's response shapes (GetPipelineState, ...).
- ``runner``: the one scheduler thread that carries out the state machine's commands through the
  action runners and feeds their outcomes back under the store's lock, on an injectable clock.
- ``actions``: one runner per action kind (CodeCommit and S3 sources, manual approval, CodeBuild,
  CodeDeploy / ECS) behind one small interface; the only module here that talks to LocalStack.

Everything but ``actions`` imports neither LocalStack nor moto, so it is unit-tested with pytest
on a fake clock (``localstack/extension/tests``).
"""
