"""Test helpers for custom-resource handlers: requests, a Lambda context, the answers, AWS.

The fixtures built from these (``responses``, ``run``, ``aws``, ``mocked_aws``)
are in ``conftest.py``.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from typing import Any

import pytest

from landing_zone.constructs import inline_code
from landing_zone.lambdas import custom_resource

RESPONSE_URL = "https://cloudformation-custom-resource-response.example/response"

#: Calls a handler with a request and returns what it told CloudFormation.
Run = Callable[..., dict[str, Any]]


def cfn_event(
    request: str,
    *,
    stack_id: str,
    logical_id: str,
    resource_type: str,
    properties: dict[str, Any],
    physical_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A CloudFormation custom-resource request; ``physical_id`` goes with all but Create."""
    body: dict[str, Any] = {
        "RequestType": request,
        "ResponseURL": RESPONSE_URL,
        "StackId": stack_id,
        "RequestId": "req-1",
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": {"ServiceToken": "arn:...", **properties},
        **extra,
    }
    if request != "Create" and physical_id is not None:
        body["PhysicalResourceId"] = physical_id
    return body


def fake_credentials(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    """A region and credentials that reach no real account."""
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def load_inline(handler: str) -> types.ModuleType:
    """The inline code a StackSet template carries for ``handler``, loaded as Lambda loads it."""
    module = types.ModuleType("index")
    code = compile(inline_code.inline_handler(handler), "index.py", "exec")
    exec(code, module.__dict__)  # noqa: S102 - our own source, as Lambda would load it
    return module


class Context:
    def __init__(self, remaining_ms: int = 300_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class _Response:
    status = 200

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *args: object) -> None:
        return None


class Captured:
    """Stands in for urllib.request.urlopen and records each response body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: Any, timeout: float) -> Any:
        assert request.full_url == RESPONSE_URL
        assert request.get_method() == "PUT"
        self.bodies.append(json.loads(request.data))
        return _Response()

    @property
    def last(self) -> dict[str, Any]:
        assert len(self.bodies) >= 1
        return self.bodies[-1]


def capture_responses(monkeypatch: pytest.MonkeyPatch, *modules: Any) -> Captured:
    """Capture what the handler tells CloudFormation; make every ``sleep`` instant."""
    captured = Captured()
    monkeypatch.setattr(custom_resource.urllib.request, "urlopen", captured)
    for module in (custom_resource, *modules):
        if hasattr(module, "sleep"):
            monkeypatch.setattr(module, "sleep", lambda seconds: None)
    return captured


class StubbedClients:
    """Hands a handler module botocore-Stubber'd clients, one per service and region.

    A handler asking for a client in a region no stub was made for fails the
    test: the region a call goes to is part of what is tested.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, region: str) -> None:
        import boto3

        fake_credentials(monkeypatch, region)
        self._boto3 = boto3
        self._region = region
        self.clients: dict[tuple[str, str], Any] = {}
        self.stubbers: dict[tuple[str, str], Any] = {}
        monkeypatch.setattr(module, "client", self._client)

    def _client(self, service: str, *, region_name: str) -> Any:
        if (service, region_name) not in self.clients:
            stubbed = sorted(f"{s} in {r}" for s, r in self.clients)
            raise AssertionError(
                f"the handler called {service} in {region_name}, which no test stubbed "
                f"(stubbed: {', '.join(stubbed) or 'nothing'})"
            )
        return self.clients[service, region_name]

    def __call__(self, service: str, region: str | None = None) -> Any:
        """The Stubber of ``service`` in ``region`` (default: the function's own region)."""
        from botocore.stub import Stubber

        where = (service, region or self._region)
        if where not in self.stubbers:
            self.clients[where] = self._boto3.client(service, region_name=where[1])
            self.stubbers[where] = Stubber(self.clients[where])
            self.stubbers[where].activate()
        return self.stubbers[where]

    def verify(self) -> None:
        """Every stubbed call was made."""
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()
