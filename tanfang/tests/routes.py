"""Every URL the app serves, enumerated from the URL configuration (pages and API alike)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "users/<id:user_id>/edit/"
    name: str

    @property
    def has_parameters(self) -> bool:
        return "<" in self.pattern

    def path(self, **values: object) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(2)
            if name in values:
                return str(values[name])
            return "1" if match.group(1) in ("int", "id") else "x"

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, self.pattern)


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> None:
        for entry in patterns:
            text = str(entry.pattern)
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + text, ns)
            else:
                routes.append(Route(pattern=prefix + text, name=f"{namespace}{entry.name or ''}"))

    walk(get_resolver().url_patterns, "", "")
    return routes
