"""Indicators: aggregating to footprints, profiles, disclosure control, need index, uploads.

Indicator values live in ``place.areas`` (one column per catalogue key); the catalogue
(:class:`~geo.place.config.Indicator`) says how each one aggregates (``count`` sums,
``mean`` is weighted, ``rate`` is numerator over denominator) and which way is worse.

Modules
-------
aggregate
    Area values -> footprint values: the function :func:`geo.indicators.aggregate.aggregate`
    and :func:`aggregate_all`.
profile
    :func:`profile_table`: one row per footprint plus ``All areas``.
footprint_profile
    Everything one footprint's profile (and its printable report) shows, as data: the function
    :func:`geo.indicators.footprint_profile.footprint_profile` (also
    :func:`geo.footprint_profile`) returns a :class:`FootprintProfile`.
disclosure
    Statistical disclosure control of small counts (:func:`apply_disclosure`).
need_index
    A weighted composite need index (:class:`NeedIndexSpec`, :func:`compute_need_index`).
uploads
    A user's own indicator CSV, checked whole (:func:`validate_upload`, :func:`store_upload`).
intervals
    Wilson and Byar confidence intervals.

Examples
--------
>>> import geo  # doctest: +SKIP
>>> place = geo.open_place("demo")  # doctest: +SKIP
>>> geo.profile_table(place).head()  # doctest: +SKIP
"""

from geo.indicators.aggregate import ALL_AREAS, aggregate_all
from geo.indicators.disclosure import (
    DEFAULT_THRESHOLD,
    SUPPRESSED,
    DisclosureResult,
    apply_disclosure,
    is_suppressed,
)
from geo.indicators.footprint_profile import (
    FootprintProfile,
    access_summary,
    age_bands,
    deprived_children,
    footprint_sites,
    spine_data,
)
from geo.indicators.intervals import byar, wilson
from geo.indicators.need_index import (
    NeedIndexSpec,
    apply_need_index,
    children_preset,
    compute_need_index,
    parse_weights,
    save_need_index,
    saved_specs,
)
from geo.indicators.profile import disclosed_profile, profile_table
from geo.indicators.uploads import (
    UploadError,
    ValidUpload,
    add_indicator,
    store_upload,
    validate_upload,
)

__all__ = [
    "ALL_AREAS",
    "DEFAULT_THRESHOLD",
    "SUPPRESSED",
    "DisclosureResult",
    "FootprintProfile",
    "NeedIndexSpec",
    "UploadError",
    "ValidUpload",
    "access_summary",
    "add_indicator",
    "age_bands",
    "aggregate_all",
    "apply_disclosure",
    "apply_need_index",
    "byar",
    "children_preset",
    "compute_need_index",
    "deprived_children",
    "disclosed_profile",
    "footprint_sites",
    "is_suppressed",
    "parse_weights",
    "profile_table",
    "save_need_index",
    "saved_specs",
    "spine_data",
    "store_upload",
    "validate_upload",
    "wilson",
]
