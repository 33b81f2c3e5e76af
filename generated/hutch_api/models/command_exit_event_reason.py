from typing import Literal

CommandExitEventReason = Literal["timeout"]

COMMAND_EXIT_EVENT_REASON_VALUES: set[CommandExitEventReason] = {
    "timeout",
}


def check_command_exit_event_reason(value: str) -> CommandExitEventReason:
    if value in COMMAND_EXIT_EVENT_REASON_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {COMMAND_EXIT_EVENT_REASON_VALUES!r}")
