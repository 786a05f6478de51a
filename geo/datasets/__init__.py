"""Built-in data sets: the synthetic demo borough.

The demo is *synthetic demo data* (not real places or people) and is labelled so in every
view and export. :func:`write_demo_sources` writes its source files and place config to a
folder; :func:`geo.build.open_place` with ``"demo"`` builds (once, then cached) and opens it.

Modules
-------
demo
    The deterministic generator: areas, indicators, footprints, schools, family sites and a
    street network for "Demoborough".
"""

from geo.datasets.demo import ATTRIBUTION, DEMO_NAME, SYNTHETIC_LABEL, write_demo_sources

__all__ = ["ATTRIBUTION", "DEMO_NAME", "SYNTHETIC_LABEL", "write_demo_sources"]
