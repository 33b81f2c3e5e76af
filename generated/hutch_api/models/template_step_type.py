from typing import Literal

TemplateStepType = Literal["copy", "env", "run", "user", "workdir"]

TEMPLATE_STEP_TYPE_VALUES: set[TemplateStepType] = {
    "copy",
    "env",
    "run",
    "user",
    "workdir",
}


def check_template_step_type(value: str) -> TemplateStepType:
    if value in TEMPLATE_STEP_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {TEMPLATE_STEP_TYPE_VALUES!r}")
