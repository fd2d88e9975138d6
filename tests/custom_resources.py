"""Test helpers for custom-resource handlers: a Lambda context and the captured responses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from landing_zone.lambdas import custom_resource

RESPONSE_URL = "https://cloudformation-custom-resource-response.example/response"


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
    """Hands a handler module botocore-Stubber'd clients, one per service it asks for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, region: str) -> None:
        import boto3

        monkeypatch.setenv("AWS_REGION", region)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        self._boto3 = boto3
        self._region = region
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Any] = {}
        monkeypatch.setattr(module, "client", self._client)

    def _client(self, service: str) -> Any:
        if service not in self.clients:
            raise AssertionError(f"the handler called {service}, which no test stubbed")
        return self.clients[service]

    def __call__(self, service: str) -> Any:
        """The Stubber of ``service`` (created and activated on first use)."""
        from botocore.stub import Stubber

        if service not in self.stubbers:
            self.clients[service] = self._boto3.client(service, region_name=self._region)
            self.stubbers[service] = Stubber(self.clients[service])
            self.stubbers[service].activate()
        return self.stubbers[service]

    def verify(self) -> None:
        """Every stubbed call was made."""
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()
