from typing import Literal

TemplateLogEntryLevel = Literal["debug", "error", "info", "warn"]

TEMPLATE_LOG_ENTRY_LEVEL_VALUES: set[TemplateLogEntryLevel] = {
    "debug",
    "error",
    "info",
    "warn",
}


def check_template_log_entry_level(value: str) -> TemplateLogEntryLevel:
    if value in TEMPLATE_LOG_ENTRY_LEVEL_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {TEMPLATE_LOG_ENTRY_LEVEL_VALUES!r}")
