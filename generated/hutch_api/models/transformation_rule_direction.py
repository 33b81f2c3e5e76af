from typing import Literal

TransformationRuleDirection = Literal["inbound", "outbound", "request", "response"]

TRANSFORMATION_RULE_DIRECTION_VALUES: set[TransformationRuleDirection] = {
    "inbound",
    "outbound",
    "request",
    "response",
}


def check_transformation_rule_direction(value: str) -> TransformationRuleDirection:
    if value in TRANSFORMATION_RULE_DIRECTION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {TRANSFORMATION_RULE_DIRECTION_VALUES!r}")
