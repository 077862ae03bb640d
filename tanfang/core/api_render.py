"""JSON for the API with Chinese left readable (no \\uXXXX escapes)."""

from __future__ import annotations

from ninja.renderers import JSONRenderer


class ReadableJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}
