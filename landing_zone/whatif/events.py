"""CloudTrail records as CloudTrail delivers them, one at a time.

A log file is a JSON object with a ``Records`` array, gzipped in S3
(``.json.gz``). Each file is a few MB, so one is parsed at a time and its
records are yielded; no more than one file is ever held.
See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html
Digest files (under ``CloudTrail-Digest/``) have no records and are passed over.
See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIXES = (".json", ".json.gz")
DIGEST = "CloudTrail-Digest"


class EventsError(ValueError):
    """An input that is not CloudTrail log files; the message names it."""


@dataclass
class Progress:
    files: int = 0
    records: int = 0


def _wanted(name: str) -> bool:
    return name.endswith(SUFFIXES) and f"/{DIGEST}/" not in f"/{name}"


def _records(name: str, raw: bytes) -> list[dict[str, Any]]:
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        # A corrupt deflate stream raises zlib.error, a truncated one EOFError.
        except (OSError, EOFError, zlib.error) as error:
            raise EventsError(f"{name}: not a readable gzip file ({error})") from error
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise EventsError(f"{name}: not JSON ({error})") from error
    if not isinstance(document, dict) or not isinstance(document.get("Records"), list):
        raise EventsError(f"{name}: no Records array (not a CloudTrail log file)")
    records: list[dict[str, Any]] = document["Records"]
    if not all(isinstance(r, dict) for r in records):
        raise EventsError(f"{name}: Records holds something other than objects")
    return records


def _local(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_file():
        yield str(path), path.read_bytes()
        return
    if not path.is_dir():
        raise EventsError(f"{path}: no such file or directory")
    for file in local_files(str(path)) or []:
        yield str(file), file.read_bytes()


def _s3(location: str, session: Any) -> Iterator[tuple[str, bytes]]:
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    if not bucket:
        raise EventsError(f"{location}: give s3://bucket/prefix")
    from botocore.exceptions import BotoCoreError, ClientError

    found = False
    try:
        client = session.client("s3")
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                if _wanted(key):
                    found = True
                    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
                    yield f"s3://{bucket}/{key}", body
    except (BotoCoreError, ClientError) as error:
        # No credentials, no such bucket, access denied: one line, not a traceback.
        raise EventsError(f"{location}: {error}") from error
    if not found:
        raise EventsError(f"{location}: no CloudTrail log files ({', '.join(SUFFIXES)}) there")


def local_files(location: str) -> list[Path] | None:
    """The log files of a local path, in order (None for s3://): the unit of parallel work."""
    if location.startswith("s3://"):
        return None
    path = Path(location)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise EventsError(f"{path}: no such file or directory")
    found = [
        f
        for f in sorted(path.rglob("*"))
        if f.is_file() and _wanted(f.relative_to(path).as_posix())
    ]
    if not found:
        # An empty report would read as "nothing breaks".
        raise EventsError(f"{path}: no CloudTrail log files ({', '.join(SUFFIXES)}) there")
    return found


def file_records(path: Path) -> list[dict[str, Any]]:
    """The records of one local log file."""
    return _records(str(path), path.read_bytes())


def records(
    location: str, *, session: Any = None, progress: Progress | None = None
) -> Iterator[dict[str, Any]]:
    """Every record under ``location`` (a file, a directory tree or s3://bucket/prefix)."""
    if location.startswith("s3://"):
        if session is None:
            import boto3

            session = boto3.Session()
        files = _s3(location, session)
    else:
        files = _local(Path(location))
    for name, raw in files:
        batch = _records(name, raw)
        if progress is not None:
            progress.files += 1
        for record in batch:
            if progress is not None:
                progress.records += 1
            yield record
