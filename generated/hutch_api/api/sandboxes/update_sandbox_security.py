from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.security_policy import SecurityPolicy
from ...types import Response


def _get_kwargs(
    sandbox_id: str,
    *,
    body: SecurityPolicy,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/sandboxes/{sandbox_id}/security".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | SecurityPolicy | None:
    if response.status_code == 200:
        response_200 = SecurityPolicy.from_dict(response.json())

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

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | SecurityPolicy]:
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
    body: SecurityPolicy,
) -> Response[Error | SecurityPolicy]:
    """Change a sandbox's security policy

     Replaces the inspecting-proxy policy of a running or paused secure sandbox (declaw's
    `update_security`), at once: the next connection through its egress proxy follows the new
    one. An absent part is off. Answers the policy in force.

    Args:
        sandbox_id (str):
        body (SecurityPolicy): declaw's inspecting-proxy policy (needs `secure` and internet
            access). `audit` records the
            connections through the sandbox's egress proxy, and each request its decrypting proxy
            reads
            (`getAuditLog`). `pii` and `transformations` read bodies: the proxy decrypts the traffic
            they
            apply to (their `domains`, or every name without), with a CA of this sandbox's own that
            its
            trust stores get, and passes everything else through; so does `injection_defense`.
            `env_masking` (declaw's docs also call it `env`: give one) masks the values of the
            environment variables whose names match its globs in every reply that shows values, and
            the decrypting proxy takes them out of every request that leaves the sandbox.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SecurityPolicy]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: SecurityPolicy,
) -> Error | SecurityPolicy | None:
    """Change a sandbox's security policy

     Replaces the inspecting-proxy policy of a running or paused secure sandbox (declaw's
    `update_security`), at once: the next connection through its egress proxy follows the new
    one. An absent part is off. Answers the policy in force.

    Args:
        sandbox_id (str):
        body (SecurityPolicy): declaw's inspecting-proxy policy (needs `secure` and internet
            access). `audit` records the
            connections through the sandbox's egress proxy, and each request its decrypting proxy
            reads
            (`getAuditLog`). `pii` and `transformations` read bodies: the proxy decrypts the traffic
            they
            apply to (their `domains`, or every name without), with a CA of this sandbox's own that
            its
            trust stores get, and passes everything else through; so does `injection_defense`.
            `env_masking` (declaw's docs also call it `env`: give one) masks the values of the
            environment variables whose names match its globs in every reply that shows values, and
            the decrypting proxy takes them out of every request that leaves the sandbox.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SecurityPolicy
    """

    return sync_detailed(
        sandbox_id=sandbox_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: SecurityPolicy,
) -> Response[Error | SecurityPolicy]:
    """Change a sandbox's security policy

     Replaces the inspecting-proxy policy of a running or paused secure sandbox (declaw's
    `update_security`), at once: the next connection through its egress proxy follows the new
    one. An absent part is off. Answers the policy in force.

    Args:
        sandbox_id (str):
        body (SecurityPolicy): declaw's inspecting-proxy policy (needs `secure` and internet
            access). `audit` records the
            connections through the sandbox's egress proxy, and each request its decrypting proxy
            reads
            (`getAuditLog`). `pii` and `transformations` read bodies: the proxy decrypts the traffic
            they
            apply to (their `domains`, or every name without), with a CA of this sandbox's own that
            its
            trust stores get, and passes everything else through; so does `injection_defense`.
            `env_masking` (declaw's docs also call it `env`: give one) masks the values of the
            environment variables whose names match its globs in every reply that shows values, and
            the decrypting proxy takes them out of every request that leaves the sandbox.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SecurityPolicy]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: SecurityPolicy,
) -> Error | SecurityPolicy | None:
    """Change a sandbox's security policy

     Replaces the inspecting-proxy policy of a running or paused secure sandbox (declaw's
    `update_security`), at once: the next connection through its egress proxy follows the new
    one. An absent part is off. Answers the policy in force.

    Args:
        sandbox_id (str):
        body (SecurityPolicy): declaw's inspecting-proxy policy (needs `secure` and internet
            access). `audit` records the
            connections through the sandbox's egress proxy, and each request its decrypting proxy
            reads
            (`getAuditLog`). `pii` and `transformations` read bodies: the proxy decrypts the traffic
            they
            apply to (their `domains`, or every name without), with a CA of this sandbox's own that
            its
            trust stores get, and passes everything else through; so does `injection_defense`.
            `env_masking` (declaw's docs also call it `env`: give one) masks the values of the
            environment variables whose names match its globs in every reply that shows values, and
            the decrypting proxy takes them out of every request that leaves the sandbox.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SecurityPolicy
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            client=client,
            body=body,
        )
    ).parsed
