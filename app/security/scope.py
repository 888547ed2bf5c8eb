"""Region scope: a principal scoped to a region sees every code that region's prefix starts.

``330502000000`` (吴兴区) has the prefix ``330502``; ``330000000000`` (浙江省) has ``33``;
``330502001000`` (月河街道) has ``330502001``. The prefix is the code without its trailing
all-zero segments (segments: province 2, city 2, county 2, township 3, village 3).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, literal
from sqlalchemy.sql.elements import ColumnElement

from app.core.validators import normalize_region_code

_SEGMENT_ENDS = (2, 4, 6, 9, 12)


def region_prefix(code: str) -> str:
    """The shortest prefix that identifies the region (its own level)."""
    full = normalize_region_code(code)
    for end in _SEGMENT_ENDS:
        if set(full[end:]) <= {"0"}:
            return full[:end]
    return full


def region_level(code: str) -> str:
    """``province``, ``city``, ``county``, ``township`` or ``village`` from the code's shape."""
    length = len(region_prefix(code))
    return {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}[length]


def in_scope(scope: str, code: str) -> bool:
    """Whether ``code`` lies inside (or is) the region ``scope``."""
    return normalize_region_code(code).startswith(region_prefix(scope))


def scope_filter(column: Any, scope: str) -> ColumnElement[bool]:
    """SQL condition: ``column`` lies inside ``scope`` (a LIKE on the prefix, index-friendly)."""
    result: ColumnElement[bool] = column.startswith(region_prefix(scope), autoescape=True)
    return result


def scope_range(column: Any, scope: str) -> ColumnElement[bool]:
    """SQL condition: ``column`` lies inside ``scope``, as a range of codes
    (``prefix <= column < next prefix``) with the bounds written into the statement.

    The same records as :func:`scope_filter` for region codes (digits, as every stored code
    is), but a plain index range on either engine and in any collation: PostgreSQL plans a
    bound ``LIKE`` pattern generically (no index, a slow match on every row) once a prepared
    statement is reused, and uses a ``LIKE`` for an index only under the C collation."""
    prefix = region_prefix(scope)
    lower: ColumnElement[bool] = column >= literal(prefix, String, literal_execute=True)
    following = str(int(prefix) + 1).zfill(len(prefix))
    if len(following) > len(prefix):  # all nines: nothing sorts after the prefix's codes
        return lower
    result: ColumnElement[bool] = and_(lower, column < literal(following, String, literal_execute=True))
    return result


def scope_pattern(scope: str) -> str:
    """The LIKE pattern of a scope, for statements built once with a bound parameter (a region
    prefix is digits only, so nothing needs escaping)."""
    return region_prefix(scope) + "%"


def parent_code(code: str) -> str | None:
    """The code of the region one level up, or None for a province."""
    prefix = region_prefix(code)
    shorter = [end for end in _SEGMENT_ENDS if end < len(prefix)]
    if not shorter:
        return None
    return prefix[: shorter[-1]].ljust(12, "0")


def served_region(scope: str, node_region: str) -> str:
    """The region of the records a principal scoped to ``scope`` reads from a node of
    ``node_region``: the node's region when the scope covers the node, else the scope."""
    return (
        normalize_region_code(node_region) if in_scope(scope, node_region) else normalize_region_code(scope)
    )


def common_region(a: str, b: str) -> str:
    """The smallest region enclosing both ``a`` and ``b`` (a region itself when it encloses the
    other); ``000000000000`` when they lie in different provinces."""
    for candidate in [normalize_region_code(a), *reversed(ancestors(a))]:
        if in_scope(candidate, b):
            return candidate
    return "000000000000"


def ancestors(code: str) -> list[str]:
    """Codes of every enclosing region, province first."""
    out: list[str] = []
    current = parent_code(code)
    while current:
        out.append(current)
        current = parent_code(current)
    return list(reversed(out))
