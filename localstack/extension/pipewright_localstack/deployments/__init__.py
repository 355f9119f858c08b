"""CodeDeploy deployments as CodeDeploy runs them, in the emulator.

- ``appspec``: the AppSpec file of an EC2/on-premises revision, parsed and checked as the
  CodeDeploy agent checks it, with the agent's messages.
- ``planner``: how many instances a deployment configuration deploys to at once, and whether the
  minimum healthy hosts still hold (pure).
- ``server``: the EC2/on-premises runner: finds the group's instances, downloads and unpacks the
  revision, and runs each instance's lifecycle events in AWS's order, batch by batch.
- ``lambda_`` and ``ecs``: the Lambda and ECS compute platforms, as far as the emulator can go.

``appspec`` and ``planner`` import neither LocalStack nor moto, so ``tools/test-python`` tests them
on their own.
"""
