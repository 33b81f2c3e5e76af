from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_finding import AuditFinding


T = TypeVar("T", bound="AuditEntry")


@_attrs_define
class AuditEntry:
    """One connection through the egress proxy, or one request its decrypting proxy read (those have
    `method`, `path`, `status` and `findings`).

    """

    time: datetime.datetime
    """ When it was opened. """
    host: None | str
    """ The name in the traffic (TLS SNI or HTTP Host); null when it named none. """
    address: str
    """ The destination address. """
    port: int
    protocol: str
    """ `tls`, `http` or `other` for a connection; `https` or `http` for a request. """
    decision: str
    """ `allowed` or `refused`. """
    reason: None | str
    """ Why it was refused. """
    decrypted: bool
    """ Whether it went through the decrypting proxy (secrets, `pii`, `transformations`). """
    bytes_out: int
    """ Bytes the sandbox sent (a request's body """
    bytes_in: int
    """ Bytes it received (a response's body """
    method: str | Unset = UNSET
    """ A request's method. """
    path: str | Unset = UNSET
    """ A request's path """
    status: int | None | Unset = UNSET
    """ The response's status (403 when the policy blocked it); null when none came. """
    findings: list[AuditFinding] | Unset = UNSET
    """ What the policy found or did in a request and its response (never a value). """
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

        method = self.method

        path = self.path

        status: int | None | Unset
        if isinstance(self.status, Unset):
            status = UNSET
        else:
            status = self.status

        findings: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.findings, Unset):
            findings = []
            for findings_item_data in self.findings:
                findings_item = findings_item_data.to_dict()
                findings.append(findings_item)

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
        if method is not UNSET:
            field_dict["method"] = method
        if path is not UNSET:
            field_dict["path"] = path
        if status is not UNSET:
            field_dict["status"] = status
        if findings is not UNSET:
            field_dict["findings"] = findings

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_finding import AuditFinding

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

        method = d.pop("method", UNSET)

        path = d.pop("path", UNSET)

        def _parse_status(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        status = _parse_status(d.pop("status", UNSET))

        _findings = d.pop("findings", UNSET)
        findings: list[AuditFinding] | Unset = UNSET
        if _findings is not UNSET:
            findings = []
            for findings_item_data in _findings:
                findings_item = AuditFinding.from_dict(findings_item_data)

                findings.append(findings_item)

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
            method=method,
            path=path,
            status=status,
            findings=findings,
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
