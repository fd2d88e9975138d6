"""make bench-whatif: replay a synthetic CloudTrail trail against the example's guardrails.

Writes N records (default 1,000,000) as gzipped CloudTrail files of 5,000
records each (a real trail's files hold a few hundred to a few thousand):
mixed services, 40 accounts across the example's OUs, several roles each,
governed and ungoverned regions, data events, service-linked roles, the root
user, some denials. Then times ``whatif`` over them (reading and parsing
included) and prints events per second and the process's peak memory.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from landing_zone.whatif.command import engine_for, replay, replay_parallel  # noqa: E402
from landing_zone.whatif.events import local_files, records  # noqa: E402
from landing_zone.whatif.snapshot import snapshot  # noqa: E402

OUS = ["sandbox", "prod", "sdlc", "retail-prod", "retail-sdlc", "payments-sdlc", "security"]
REGIONS = ["eu-west-1"] * 6 + ["eu-central-1"] * 2 + ["us-east-1", "ap-southeast-2"]
ROLES = ["Developer", "WorkloadAdmin", "ci-deploy", "OrganizationAccountAccessRole", "app-task"]
CALLS = [
    ("ec2.amazonaws.com", "DescribeInstances", None),
    ("ec2.amazonaws.com", "RunInstances", "instance"),
    ("s3.amazonaws.com", "GetObject", "object"),
    ("s3.amazonaws.com", "PutObject", "object"),
    ("s3.amazonaws.com", "ListObjects", "bucket"),
    ("kms.amazonaws.com", "Decrypt", "key"),
    ("sts.amazonaws.com", "AssumeRole", "role"),
    ("monitoring.amazonaws.com", "PutMetricData", None),
    ("lambda.amazonaws.com", "Invoke", "function"),
    ("logs.amazonaws.com", "PutLogEvents", None),
    ("iam.amazonaws.com", "ListRoles", None),
    ("cloudtrail.amazonaws.com", "StopLogging", "trail"),
    ("dynamodb.amazonaws.com", "GetItem", None),
    ("signin.amazonaws.com", "ConsoleLogin", None),
]
TLS = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}


def synthetic(n: int, seed: int = 7) -> Any:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    accounts = {f"{100000000000 + i * 7919:012d}": OUS[i % len(OUS)] for i in range(40)}
    ids = list(accounts)
    for number in range(n):
        account = rng.choice(ids)
        source, name, kind = rng.choice(CALLS)
        region = rng.choice(REGIONS)
        if number % 97 == 0:
            identity: dict[str, Any] = {
                "type": "Root",
                "arn": f"arn:aws:iam::{account}:root",
                "accountId": account,
            }
        else:
            role = rng.choice(ROLES)
            if number % 31 == 0:
                role = "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
            identity = {
                "type": "AssumedRole",
                "principalId": f"AROA{number % 1000}:s",
                "arn": f"arn:aws:sts::{account}:assumed-role/{role}/s",
                "accountId": account,
                "sessionContext": {
                    "sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{account}:role/{role}"},
                    "attributes": {"mfaAuthenticated": "false"},
                },
            }
        parameters: dict[str, Any] = {}
        resources: list[dict[str, str]] = []
        response: dict[str, Any] | None = None
        if kind in ("object", "bucket"):
            bucket = f"data-{account}-{rng.randrange(3)}"
            parameters = {"bucketName": bucket}
            if kind == "object":
                parameters["key"] = f"k/{rng.randrange(50)}"
        elif kind == "instance":
            parameters = {
                "instanceType": rng.choice(["t3.micro", "m5.large", "t3.small"]),
                "metadataOptions": {"httpTokens": "required"},
            }
            response = {"instancesSet": {"items": [{"instanceId": f"i-{rng.randrange(100)}"}]}}
        elif kind == "key":
            resources = [{"ARN": f"arn:aws:kms:{region}:{account}:key/k{rng.randrange(5)}"}]
        elif kind == "role":
            parameters = {"roleArn": f"arn:aws:iam::{rng.choice(ids)}:role/app"}
        elif kind == "function":
            parameters = {"functionName": f"fn-{rng.randrange(5)}"}
        elif kind == "trail":
            parameters = {"name": f"arn:aws:cloudtrail:eu-west-1:{account}:trail/Acme-Org"}
        yield (
            {
                "eventVersion": "1.10",
                "userIdentity": identity,
                "eventTime": "2026-01-05T10:00:00Z",
                "eventSource": source,
                "eventName": name,
                "awsRegion": region,
                "sourceIPAddress": f"198.51.100.{number % 250}",
                "userAgent": "aws-sdk",
                "requestParameters": parameters,
                "responseElements": response,
                "eventID": f"e{number}",
                "eventType": "AwsConsoleSignIn" if source.startswith("signin") else "AwsApiCall",
                "recipientAccountId": account,
                "resources": resources,
                "tlsDetails": TLS,
            },
            accounts,
        )


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def write_trail(directory: Path, n: int, per_file: int = 5000) -> dict[str, str]:
    batch: list[dict[str, Any]] = []
    placed: dict[str, str] = {}
    for index, (record, accounts) in enumerate(synthetic(n)):
        placed = accounts
        batch.append(record)
        if len(batch) == per_file or index == n - 1:
            path = directory / f"{index // per_file:05d}.json.gz"
            path.write_bytes(gzip.compress(json.dumps({"Records": batch}).encode(), 1))
            batch = []
    return placed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="processes (the target: 2 cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="whatif-bench-") as directory:
        started = time.perf_counter()
        accounts = write_trail(Path(directory), args.events)
        print(f"wrote {args.events:,} records in {time.perf_counter() - started:.1f} s")
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        data = snapshot(ROOT / "config" / "example.yaml")
        cpu_before = _cpu()
        started = time.perf_counter()
        if args.workers > 1:
            files = local_files(directory) or []
            report = replay_parallel(
                files, current=data, other=None, org_map=accounts, workers=args.workers
            )
            cached = "per worker"
        else:
            engine = engine_for(data, org_map=accounts, live=None)
            report = replay(records(directory), engine)
            cached = f"{len(engine.cache):,} cached decisions, {engine.hits:,} hits"
        seconds = time.perf_counter() - started
        cpu = _cpu() - cpu_before
    # The largest process: this one, or a worker (RUSAGE_CHILDREN's maximum).
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    counts = report.document(diff=False)["counts"]
    print(
        f"{report.evaluated:,} events in {seconds:.1f} s: "
        f"{report.evaluated / seconds:,.0f} events/s; "
        f"peak RSS {peak / 1024:.0f} MB (after writing the trail: {baseline / 1024:.0f} MB); "
        f"{args.workers} process(es), {cached}"
    )
    # On a shared machine wall time includes waiting for a core; CPU time does not.
    print(
        f"  CPU {cpu:.1f} s ({report.evaluated / cpu:,.0f} events per CPU-second; on "
        f"{args.workers} idle core(s) about {cpu / args.workers:.1f} s wall)"
    )
    print("  " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
