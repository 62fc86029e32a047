"""Notebook views — rollout, traffic, check — each one view model rendered as HTML and text."""

from labs.widgets.check_view import CheckViewModel, CheckWidget, build_check_model
from labs.widgets.rollout_view import RolloutViewModel, RolloutWidget, fetch_view_model
from labs.widgets.traffic_view import TrafficViewModel, TrafficWidget, traffic_model

__all__ = [
    "CheckViewModel",
    "CheckWidget",
    "RolloutViewModel",
    "RolloutWidget",
    "TrafficViewModel",
    "TrafficWidget",
    "build_check_model",
    "fetch_view_model",
    "traffic_model",
]
