"""EC2 instances in the running emulator, for CodeDeploy deployment groups to deploy to.

Run by the launcher (``launcher.py instances add|list|remove``) with the emulator's own Python, so
that pipewright needs no EC2 SDK: it calls the emulator's EC2 (LocalStack's, backed by moto) with
boto3 and the emulator's test credentials (account ``000000000000``). Instances are started with
``RunInstances`` and the given tags, and carry the tag ``pipewright:local-instance`` so that
``list`` and ``remove`` touch only instances made this way.

Usage::

    python -m pipewright_localstack.local_instances ENDPOINT add --tag Name=shop-web [--count N]
    python -m pipewright_localstack.local_instances ENDPOINT list
    python -m pipewright_localstack.local_instances ENDPOINT remove [ID ...] [--tag KEY=VALUE]

``add`` prints one instance id per line; ``list`` prints ``ID STATE KEY=VALUE,...`` per instance;
``remove`` terminates the instances named (or all of ours when none is named) and prints their ids.
"""

from __future__ import annotations

import argparse
import sys

MARKER_TAG = "pipewright:local-instance"
# Any image id: the emulator's EC2 does not boot images, it records instances.
IMAGE_ID = "ami-00000000000000000"


def _client(endpoint: str, region: str):
    import boto3

    return boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _tag(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--tag {text}: expected KEY=VALUE")
    if key.lower().startswith("aws:"):
        raise argparse.ArgumentTypeError(f"--tag {text}: the aws: prefix is reserved")
    return key, value


def _ours(ec2, tags: list[tuple[str, str]], ids: list[str]) -> list[dict]:
    filters = [
        {"Name": "tag-key", "Values": [MARKER_TAG]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]
    filters += [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags]
    arguments = {"Filters": filters}
    if ids:
        arguments["InstanceIds"] = ids
    found = []
    for page in ec2.get_paginator("describe_instances").paginate(**arguments):
        for reservation in page.get("Reservations", []):
            found.extend(reservation.get("Instances", []))
    return sorted(found, key=lambda i: i["InstanceId"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="local instances")
    parser.add_argument("endpoint")
    parser.add_argument("--region", default="us-east-1")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add")
    add.add_argument("--tag", type=_tag, action="append", required=True)
    add.add_argument("--count", type=int, default=1)
    commands.add_parser("list")
    remove = commands.add_parser("remove")
    remove.add_argument("ids", nargs="*")
    remove.add_argument("--tag", type=_tag, action="append", default=[])
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return _run(parser, args, _client(args.endpoint, args.region))
    except (BotoCoreError, ClientError) as e:
        print(f"error: the emulator's EC2 refused: {e}", file=sys.stderr)
        return 1


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, ec2) -> int:
    if args.command == "add":
        if not 1 <= args.count <= 100:
            parser.error("--count must be between 1 and 100")
        tags = [{"Key": k, "Value": v} for k, v in args.tag] + [{"Key": MARKER_TAG, "Value": "1"}]
        started = ec2.run_instances(
            ImageId=IMAGE_ID,
            InstanceType="t3.micro",
            MinCount=args.count,
            MaxCount=args.count,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )
        for instance in started["Instances"]:
            print(instance["InstanceId"])
        return 0
    if args.command == "list":
        for instance in _ours(ec2, [], []):
            tags = ",".join(
                f"{t['Key']}={t.get('Value', '')}"
                for t in sorted(instance.get("Tags") or [], key=lambda t: t["Key"])
                if t["Key"] != MARKER_TAG
            )
            print(f"{instance['InstanceId']} {instance['State']['Name']} {tags}")
        return 0
    found = _ours(ec2, args.tag, args.ids)
    if args.ids:
        missing = sorted(set(args.ids) - {i["InstanceId"] for i in found})
        if missing:
            print(
                f"error: not instances made by `local instances add`: {' '.join(missing)}",
                file=sys.stderr,
            )
            return 1
    ids = [i["InstanceId"] for i in found]
    if ids:
        ec2.terminate_instances(InstanceIds=ids)
    for instance_id in ids:
        print(instance_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
