"""Region-path arithmetic, in one place.

A region's path lists its ancestors' codes and its own, each followed by "/", from the province down:
`410000/410800/410823/410823001000/410823001001/`. A subtree is a path prefix (see core.scope).
"""

from __future__ import annotations

from tanfang.core.roles import RegionLevel


def codes_of(path: str) -> list[str]:
    """'410000/410800/410823/' → ['410000', '410800', '410823']."""
    return [code for code in path.split("/") if code]


def path_prefixes(path: str) -> list[str]:
    """'410000/410800/410823/' → ['410000/', '410000/410800/', '410000/410800/410823/']: the path of
    every region from the province down to this one."""
    return [path[: i + 1] for i, char in enumerate(path) if char == "/"]


def parent_path(path: str) -> str | None:
    """The path of the region above ('' has none, nor has a province)."""
    prefixes = path_prefixes(path)
    return prefixes[-2] if len(prefixes) >= 2 else None


def code_at(path: str, level: RegionLevel) -> str:
    """The code of the ancestor at a level ('' when the path does not reach that level):
    code_at('410000/410800/410823/…', RegionLevel.COUNTY) == '410823'."""
    codes = codes_of(path)
    return codes[level - 1] if len(codes) >= level else ""
