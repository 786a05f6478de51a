"""Pure computation for the Locality & Hub Planner (never imports Dash)."""

__version__ = "0.1.0"
