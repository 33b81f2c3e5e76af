from typing import Literal

ListSandboxesOrder = Literal["asc", "desc"]

LIST_SANDBOXES_ORDER_VALUES: set[ListSandboxesOrder] = {
    "asc",
    "desc",
}


def check_list_sandboxes_order(value: str) -> ListSandboxesOrder:
    if value in LIST_SANDBOXES_ORDER_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_SANDBOXES_ORDER_VALUES!r}")
