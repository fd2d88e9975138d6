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
        monkeypatch.setattr(module, "sleep", lambda seconds: None)
    return captured
