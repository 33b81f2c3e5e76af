from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_log import AuditLog
from ...models.error import Error
from ...models.get_audit_log_decision import GetAuditLogDecision
from ...types import UNSET, Response, Unset


def _get_kwargs(
    sandbox_id: str,
    *,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    host: str | Unset = UNSET,
    decision: GetAuditLogDecision | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    params["host"] = host

    json_decision: str | Unset = UNSET
    if not isinstance(decision, Unset):
        json_decision = decision

    params["decision"] = json_decision

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/sandboxes/{sandbox_id}/audit-log".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AuditLog | Error | None:
    if response.status_code == 200:
        response_200 = AuditLog.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[AuditLog | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    host: str | Unset = UNSET,
    decision: GetAuditLogDecision | Unset = UNSET,
) -> Response[AuditLog | Error]:
    """Read a sandbox's audit log

     The connections through the sandbox's egress proxy, oldest first, when it was created with
    `security.audit` (otherwise there are none): when, the name in the traffic, the destination,
    the decision and its reason, whether it was decrypted, and the bytes each way. Never a body.
    Page with `limit` and the `nextCursor` of the previous page; `host` and `decision` filter.

    Args:
        sandbox_id (str):
        limit (int | Unset):
        cursor (str | Unset):
        host (str | Unset):
        decision (GetAuditLogDecision | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditLog | Error]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        limit=limit,
        cursor=cursor,
        host=host,
        decision=decision,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    host: str | Unset = UNSET,
    decision: GetAuditLogDecision | Unset = UNSET,
) -> AuditLog | Error | None:
    """Read a sandbox's audit log

     The connections through the sandbox's egress proxy, oldest first, when it was created with
    `security.audit` (otherwise there are none): when, the name in the traffic, the destination,
    the decision and its reason, whether it was decrypted, and the bytes each way. Never a body.
    Page with `limit` and the `nextCursor` of the previous page; `host` and `decision` filter.

    Args:
        sandbox_id (str):
        limit (int | Unset):
        cursor (str | Unset):
        host (str | Unset):
        decision (GetAuditLogDecision | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditLog | Error
    """

    return sync_detailed(
        sandbox_id=sandbox_id,
        client=client,
        limit=limit,
        cursor=cursor,
        host=host,
        decision=decision,
    ).parsed


async def asyncio_detailed(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    host: str | Unset = UNSET,
    decision: GetAuditLogDecision | Unset = UNSET,
) -> Response[AuditLog | Error]:
    """Read a sandbox's audit log

     The connections through the sandbox's egress proxy, oldest first, when it was created with
    `security.audit` (otherwise there are none): when, the name in the traffic, the destination,
    the decision and its reason, whether it was decrypted, and the bytes each way. Never a body.
    Page with `limit` and the `nextCursor` of the previous page; `host` and `decision` filter.

    Args:
        sandbox_id (str):
        limit (int | Unset):
        cursor (str | Unset):
        host (str | Unset):
        decision (GetAuditLogDecision | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuditLog | Error]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        limit=limit,
        cursor=cursor,
        host=host,
        decision=decision,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    host: str | Unset = UNSET,
    decision: GetAuditLogDecision | Unset = UNSET,
) -> AuditLog | Error | None:
    """Read a sandbox's audit log

     The connections through the sandbox's egress proxy, oldest first, when it was created with
    `security.audit` (otherwise there are none): when, the name in the traffic, the destination,
    the decision and its reason, whether it was decrypted, and the bytes each way. Never a body.
    Page with `limit` and the `nextCursor` of the previous page; `host` and `decision` filter.

    Args:
        sandbox_id (str):
        limit (int | Unset):
        cursor (str | Unset):
        host (str | Unset):
        decision (GetAuditLogDecision | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuditLog | Error
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            client=client,
            limit=limit,
            cursor=cursor,
            host=host,
            decision=decision,
        )
    ).parsed
