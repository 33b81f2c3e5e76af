from typing import Literal

GetAuditLogDecision = Literal["allowed", "refused"]

GET_AUDIT_LOG_DECISION_VALUES: set[GetAuditLogDecision] = {
    "allowed",
    "refused",
}


def check_get_audit_log_decision(value: str) -> GetAuditLogDecision:
    if value in GET_AUDIT_LOG_DECISION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_AUDIT_LOG_DECISION_VALUES!r}")
