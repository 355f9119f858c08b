"""CodeDeploy deployments as CodeDeploy runs them, in the emulator.

- ``api``: the deployment and on-premises instance operations, and each deployment's thread
  (``execute``), rollbacks (``_after``) included.
- ``appspec``: the AppSpec file of an EC2/on-premises revision, parsed and checked as the
  CodeDeploy agent checks it, with the agent's messages.
- ``planner``: how many instances a deployment configuration deploys to at once, and whether the
  minimum healthy hosts still hold (pure).
- ``server``: the EC2/on-premises runner: finds the group's instances (tags, Auto Scaling
  groups, on-premises), downloads and unpacks the revision, and runs each instance's lifecycle
  events in AWS's order, batch by batch.
- ``specs``: the Lambda and ECS AppSpec files and the CodeDeployToECS action's task definition
  template and ``imageDetail.json`` placeholders, checked with AWS's messages (pure).
- ``traffic``: the traffic-shifting schedule of a Lambda deployment configuration, and the
  emulator's time scale (pure).
- ``lambda_``: the Lambda runner: the AppSpec checked against the emulator's Lambda, the alias
  shifted per the schedule, hooks reported as not invocable, the alias moved back on rollback.
- ``ecs``: the ECS runner: the AppSpec checked, then the ECS step the emulator cannot take named.
- ``alarms``: alarm-based stops from the emulator's CloudWatch (the verdict is pure).

``appspec``, ``planner``, ``specs``, ``traffic`` and ``alarms.verdict`` import neither LocalStack
nor moto, so ``tools/test-python`` tests them on their own.
"""
