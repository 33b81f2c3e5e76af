from typing import Literal

InjectionDefensePolicyAction = Literal["block", "log", "log_only"]

INJECTION_DEFENSE_POLICY_ACTION_VALUES: set[InjectionDefensePolicyAction] = {
    "block",
    "log",
    "log_only",
}


def check_injection_defense_policy_action(value: str) -> InjectionDefensePolicyAction:
    if value in INJECTION_DEFENSE_POLICY_ACTION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {INJECTION_DEFENSE_POLICY_ACTION_VALUES!r}")
