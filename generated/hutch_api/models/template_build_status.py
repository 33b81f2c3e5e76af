from typing import Literal

TemplateBuildStatus = Literal["building", "error", "ready"]

TEMPLATE_BUILD_STATUS_VALUES: set[TemplateBuildStatus] = {
    "building",
    "error",
    "ready",
}


def check_template_build_status(value: str) -> TemplateBuildStatus:
    if value in TEMPLATE_BUILD_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {TEMPLATE_BUILD_STATUS_VALUES!r}")
