"""The offset a command's or terminal's output stream re-attaches at, counted from the events read."""

from __future__ import annotations

from hutch._features.commands import CommandOutput
from hutch._features.pty import PtyOutput


def test_a_dropped_event_advances_the_offset_by_the_events_it_stands_for() -> None:
    state = CommandOutput(7)
    for event in (
        {"type": "start", "pid": 7},
        {"type": "stdout", "data": "head"},
        {"type": "dropped", "events": 40, "bytes": 123456},
        {"type": "stdout", "data": "tail"},
    ):
        state.apply(event)
    assert state.offset == 1 + 1 + 40 + 1  # where the agent's next event is
    assert state.stdout == "headtail"


def test_a_terminal_counts_dropped_events_the_same_way() -> None:
    state = PtyOutput(7)
    state.apply({"type": "dropped", "events": 5, "bytes": 10})
    state.apply({"type": "data", "data": "aGk="})
    assert state.offset == 6
    assert state.result().stdout == "hi"
