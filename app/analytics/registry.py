"""The cubes this node answers for, filled by the app factory from the domains' declarations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from app.core.cube import Cube

NAME_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"
RESERVED = frozenset({"cubes"})
"""Names taken by the analytics paths themselves."""


class CubeRegistry:
    def __init__(self, cubes: Iterable[Cube] = ()) -> None:
        self._cubes: dict[str, Cube] = {}
        for cube in cubes:
            self.register(cube)

    def register(self, cube: Cube) -> None:
        if not re.match(NAME_PATTERN, cube.name) or cube.name in RESERVED:
            raise ValueError(f"{cube.name!r} cannot name a cube")
        if cube.name in self._cubes:
            raise ValueError(f"cube {cube.name!r} registered twice")
        names = [m.name for m in cube.measures] + [d.name for d in cube.dimensions]
        if len(set(names)) != len(names):
            raise ValueError(f"cube {cube.name!r} repeats a measure or dimension name")
        self._cubes[cube.name] = cube

    def get(self, name: str) -> Cube | None:
        return self._cubes.get(name)

    def __iter__(self) -> Iterator[Cube]:
        return iter(self._cubes.values())

    def __len__(self) -> int:
        return len(self._cubes)
