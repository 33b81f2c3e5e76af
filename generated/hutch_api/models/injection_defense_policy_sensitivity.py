from typing import Literal

InjectionDefensePolicySensitivity = Literal["high", "low", "medium"]

INJECTION_DEFENSE_POLICY_SENSITIVITY_VALUES: set[InjectionDefensePolicySensitivity] = {
    "high",
    "low",
    "medium",
}


def check_injection_defense_policy_sensitivity(value: str) -> InjectionDefensePolicySensitivity:
    if value in INJECTION_DEFENSE_POLICY_SENSITIVITY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {INJECTION_DEFENSE_POLICY_SENSITIVITY_VALUES!r}")
