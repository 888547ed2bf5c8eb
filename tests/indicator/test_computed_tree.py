"""Computed figures down the region tree: which regions a computation is asked about."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from app.indicator import computed
from app.indicator.period import parse_period
from app.indicator.progress import _computed
from app.indicator.rollup import Figure, RegionNode

TREE = RegionNode(
    "330500000000",
    (
        RegionNode("330502000000", (RegionNode("330502001000", ()), RegionNode("330502002000", ()))),
        RegionNode("330503000000", (RegionNode("330503001000", ()),)),
    ),
)
ON = date(2022, 9, 30)


def _asking(figures: dict[str, Decimal]) -> tuple[list[str], Any]:
    asked: list[str] = []

    async def compute(session: Any, region_code: str, period: str, as_of: date) -> Decimal | None:
        asked.append(region_code)
        return figures.get(region_code)

    return asked, compute


async def test_a_subtree_computation_without_a_figure_is_not_asked_below() -> None:
    asked, compute = _asking({})
    out = await _computed(None, compute, TREE, parse_period("2022"), ON, every=False, subtree=True)  # type: ignore[arg-type]
    assert (out, asked) == ({}, ["330500000000"])


async def test_other_computations_fall_back_to_every_child() -> None:
    asked, compute = _asking({"330502001000": Decimal(3)})
    out = await _computed(None, compute, TREE, parse_period("2022"), ON, every=False)  # type: ignore[arg-type]
    assert len(asked) == 6
    assert out == {"330502001000": Figure(value=Decimal(3), on=ON)}


async def test_every_region_is_asked_below_a_figure_when_every_region_is_shown() -> None:
    figures = {code: Decimal(1) for code in ("330500000000", "330502000000", "330503000000")}
    asked, compute = _asking(figures)
    for subtree in (False, True):
        asked.clear()
        out = await _computed(None, compute, TREE, parse_period("2022"), ON, every=True, subtree=subtree)  # type: ignore[arg-type]
        assert len(asked) == 6
        assert set(out) == set(figures)
        asked.clear()
        out = await _computed(None, compute, TREE, parse_period("2022"), ON, every=False, subtree=subtree)  # type: ignore[arg-type]
        assert asked == ["330500000000"]


def test_the_subtree_computations_are_registered() -> None:
    assert set(computed.COMPUTATIONS) >= computed.COVERS_SUBTREE
    assert "dibao_annual_standard" not in computed.COVERS_SUBTREE
