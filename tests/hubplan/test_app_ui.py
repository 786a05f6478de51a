"""Shared page pieces: notices, the synthetic banner and the attribution footer."""

from __future__ import annotations

import dataclasses

import pytest

from geo.build.places import open_place
from geo.place.model import Attribution
from hubplan.pages._ui import attribution_footer, notice_box, synthetic_banner


@pytest.fixture(scope="module")
def demo():
    return open_place("demo")


def text_of(component) -> str:
    children = getattr(component, "children", None)
    if children is None:
        return ""
    if isinstance(children, str):
        return children
    if not isinstance(children, list):
        children = [children]
    return " ".join(c if isinstance(c, str) else text_of(c) for c in children)


def test_synthetic_place_is_labelled(demo):
    banner = synthetic_banner(demo)
    assert banner is not None and "Synthetic demo data" in text_of(banner)
    assert "synthetic demo data" in text_of(attribution_footer(demo)).lower()


def test_real_place_shows_every_attribution_and_no_banner(demo):
    real = dataclasses.replace(
        demo,
        synthetic=False,
        attributions=[
            Attribution("ONS", "Source: Office for National Statistics (OGL v3.0)."),
            Attribution("OS", "Contains OS data © Crown copyright."),
        ],
    )
    assert synthetic_banner(real) is None
    footer = text_of(attribution_footer(real, extra=["Tiles © OpenStreetMap contributors"]))
    assert "Office for National Statistics" in footer and "Crown copyright" in footer
    assert "OpenStreetMap" in footer
    assert "synthetic" not in footer.lower()


def test_notice_box_hidden_when_empty():
    assert "notice-empty" in notice_box([]).className
    box = notice_box(["Unknown place 'x'.", None])
    assert box.className == "notice" and len(box.children) == 1
    assert box.role == "status"
