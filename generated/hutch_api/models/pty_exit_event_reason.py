from typing import Literal

PtyExitEventReason = Literal["timeout"]

PTY_EXIT_EVENT_REASON_VALUES: set[PtyExitEventReason] = {
    "timeout",
}


def check_pty_exit_event_reason(value: str) -> PtyExitEventReason:
    if value in PTY_EXIT_EVENT_REASON_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PTY_EXIT_EVENT_REASON_VALUES!r}")
