from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CodeDoneEvent")


@_attrs_define
class CodeDoneEvent:
    type_: Literal["done"]
    exit_code: int
    """ 0 when the code ran without error, 1 after an uncaught error; for bash,
    the status of the cell's last command; 137 when the interpreter had to be killed.
     """
    status: str
    """ `ok` or `error`. """
    context_id: str
    """ The context the code ran in. """
    execution_count: int | None | Unset = UNSET
    """ How many executions this context has run since it (re)started, this one included. """
    timed_out: bool | Unset = UNSET
    """ Whether the execution reached its `timeout` and was interrupted (its `error` event then
    says so): the SDK's E2B flavour raises `TimeoutException` for it.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        exit_code = self.exit_code

        status = self.status

        context_id = self.context_id

        execution_count: int | None | Unset
        if isinstance(self.execution_count, Unset):
            execution_count = UNSET
        else:
            execution_count = self.execution_count

        timed_out = self.timed_out

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "exitCode": exit_code,
                "status": status,
                "contextID": context_id,
            }
        )
        if execution_count is not UNSET:
            field_dict["executionCount"] = execution_count
        if timed_out is not UNSET:
            field_dict["timedOut"] = timed_out

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = cast(Literal["done"], d.pop("type"))
        if type_ != "done":
            raise ValueError(f"type must match const 'done', got '{type_}'")

        exit_code = d.pop("exitCode")

        status = d.pop("status")

        context_id = d.pop("contextID")

        def _parse_execution_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        execution_count = _parse_execution_count(d.pop("executionCount", UNSET))

        timed_out = d.pop("timedOut", UNSET)

        code_done_event = cls(
            type_=type_,
            exit_code=exit_code,
            status=status,
            context_id=context_id,
            execution_count=execution_count,
            timed_out=timed_out,
        )

        code_done_event.additional_properties = d
        return code_done_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
