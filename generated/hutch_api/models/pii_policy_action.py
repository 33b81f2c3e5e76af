from typing import Literal

PIIPolicyAction = Literal["block", "log_only", "redact"]

PII_POLICY_ACTION_VALUES: set[PIIPolicyAction] = {
    "block",
    "log_only",
    "redact",
}


def check_pii_policy_action(value: str) -> PIIPolicyAction:
    if value in PII_POLICY_ACTION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PII_POLICY_ACTION_VALUES!r}")
