"""Locality & Hub Planner: the ``hubplan`` command, the Dash dashboard and its settings.

The computation lives in :mod:`geo` (places, indicators, networks, siting, clusters, exports)
and the map traces in :mod:`layers`; this package is the thin wiring around them:

* :mod:`hubplan.cli`: the ``hubplan`` command (also ``python -m hubplan``);
* :mod:`hubplan.web`: the web-app factory (:func:`hubplan.web.create_app`,
  :func:`hubplan.web.create_server`) and ``hubplan serve``;
* :mod:`hubplan.pages`: the Dash pages; :mod:`hubplan.settings`: the environment settings;
* :mod:`hubplan.wsgi`: the production entry point for gunicorn.
"""

from geo._version import __version__

__all__ = ["__version__"]
