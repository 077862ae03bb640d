"""The region scope of an actor: which subtrees of the region tree it may see.

A scope is a set of region paths. A row is inside when its `region_path` starts with
one of them. An empty scope contains nothing: access fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.db.models import Q
from django.http import HttpRequest


class Actor(Protocol):
    """What the lower layers need of a user, without importing the User model."""

    @property
    def pk(self) -> Any: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def is_active(self) -> bool: ...

    def region_paths(self) -> tuple[str, ...]:
        """The paths of the regions the user is assigned to."""
        ...


def scope_of(actor: Actor | None) -> Scope:
    """Return the actor's scope: its assigned subtrees; nothing for anyone inactive or absent."""
    if actor is None or not getattr(actor, "is_authenticated", True) or not actor.is_active:
        return Scope(())
    return Scope.of(actor.region_paths())


@dataclass(frozen=True)
class Scope:
    paths: tuple[str, ...]

    @classmethod
    def of(cls, paths: list[str] | tuple[str, ...]) -> Scope:
        # Drop paths already covered by a shorter one so filters stay small.
        kept: list[str] = []
        for path in sorted(set(paths), key=len):
            if path and not any(path.startswith(k) for k in kept):
                kept.append(path)
        return cls(tuple(sorted(kept)))

    @property
    def is_empty(self) -> bool:
        return not self.paths

    def contains(self, region_path: str | None) -> bool:
        if not region_path:
            return False
        return any(region_path.startswith(p) for p in self.paths)

    def q(self, field: str = "region_path") -> Q:
        """A filter for rows inside the scope; matches nothing when the scope is empty."""
        if not self.paths:
            return Q(pk__in=[])
        condition = Q()
        for path in self.paths:
            condition |= Q(**{f"{field}__startswith": path})
        return condition


def actor_of(request: HttpRequest) -> Actor:
    """The logged-in user of a request; middleware and API auth have already refused anonymous ones."""
    return cast(Actor, request.user)
