"""Public transport access from GTFS timetables: feed reading, walking legs and a RAPTOR router.

Modules: :mod:`geo.transit.config` (the ``[network.transit]`` options), :mod:`geo.transit.feed`
(reading and checking feeds with gtfs-kit into a :class:`~geo.transit.feed.Timetable`),
:mod:`geo.transit.raptor` (range RAPTOR over a departure window) and
:mod:`geo.transit.access` (walking legs on the place's network and the travel-time API).
"""
