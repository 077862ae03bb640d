"""JSON for the API with Chinese left readable: characters as they are, not as escape sequences."""

from __future__ import annotations

from ninja.renderers import JSONRenderer


class ReadableJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}
