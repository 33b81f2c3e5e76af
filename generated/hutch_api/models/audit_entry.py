from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AuditEntry")


@_attrs_define
class AuditEntry:
    """One connection through the egress proxy."""

    time: datetime.datetime
    """ When it was opened. """
    host: None | str
    """ The name in the traffic (TLS SNI or HTTP Host); null when it named none. """
    address: str
    """ The destination address. """
    port: int
    protocol: str
    """ `tls`, `http` or `other`. """
    decision: str
    """ `allowed` or `refused`. """
    reason: None | str
    """ Why it was refused. """
    decrypted: bool
    """ Whether it went through the decrypting proxy (a secret's host). """
    bytes_out: int
    """ Bytes the sandbox sent. """
    bytes_in: int
    """ Bytes it received. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        time = self.time.isoformat()

        host: None | str
        host = self.host

        address = self.address

        port = self.port

        protocol = self.protocol

        decision = self.decision

        reason: None | str
        reason = self.reason

        decrypted = self.decrypted

        bytes_out = self.bytes_out

        bytes_in = self.bytes_in

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "time": time,
                "host": host,
                "address": address,
                "port": port,
                "protocol": protocol,
                "decision": decision,
                "reason": reason,
                "decrypted": decrypted,
                "bytesOut": bytes_out,
                "bytesIn": bytes_in,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        time = datetime.datetime.fromisoformat(d.pop("time"))

        def _parse_host(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        host = _parse_host(d.pop("host"))

        address = d.pop("address")

        port = d.pop("port")

        protocol = d.pop("protocol")

        decision = d.pop("decision")

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        decrypted = d.pop("decrypted")

        bytes_out = d.pop("bytesOut")

        bytes_in = d.pop("bytesIn")

        audit_entry = cls(
            time=time,
            host=host,
            address=address,
            port=port,
            protocol=protocol,
            decision=decision,
            reason=reason,
            decrypted=decrypted,
            bytes_out=bytes_out,
            bytes_in=bytes_in,
        )

        audit_entry.additional_properties = d
        return audit_entry

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
