from typing import Literal

PIIPolicyTypesItem = Literal["api_key", "credit_card", "email", "ip_address", "phone_number", "ssn"]

PII_POLICY_TYPES_ITEM_VALUES: set[PIIPolicyTypesItem] = {
    "api_key",
    "credit_card",
    "email",
    "ip_address",
    "phone_number",
    "ssn",
}


def check_pii_policy_types_item(value: str) -> PIIPolicyTypesItem:
    if value in PII_POLICY_TYPES_ITEM_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {PII_POLICY_TYPES_ITEM_VALUES!r}")
