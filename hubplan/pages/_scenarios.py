"""Saved siting scenarios for the pages (Map, Access, Planner): their names and loading one,
never creating a scenario file just to look (a place with none saved shows none)."""

from __future__ import annotations

from geo.errors import InputError
from geo.place.model import Place
from geo.siting.scenarios import Scenario, ScenarioStore


def scenario_store(place: Place) -> ScenarioStore | None:
    """The place's scenario store, or ``None`` when it has none yet (or no bundle)."""
    if place.path is None:
        return None
    store = ScenarioStore.for_bundle(place.path)
    if store.path is not None and not store.path.exists():
        return None
    return store


def scenario_names(place: Place) -> list[str]:
    """Names of the place's saved scenarios (newest first, as the store lists them)."""
    store = scenario_store(place)
    return store.names(place.name) if store is not None else []


def load_saved(place: Place, name: str) -> Scenario:
    """The saved scenario ``name`` of ``place``.

    Raises
    ------
    geo.errors.InputError
        If there is no such scenario (the message lists the saved names, no paths).
    """
    store = scenario_store(place)
    if store is None:
        raise InputError(f"no scenario called {name!r}: none saved for {place.name}")
    return store.load(place.name, name)


def parse_scenario(place: Place, value) -> tuple[str | None, str | None]:
    """A scenario name from the URL: ``(name, None)`` when saved, ``(None, notice)`` when
    not, ``(None, None)`` when absent."""
    if value is None or str(value).strip() == "":
        return None, None
    name = str(value).strip()
    if name in scenario_names(place):
        return name, None
    return None, f"Ignored scenario {name!r}: no scenario of that name is saved for {place.name}."
