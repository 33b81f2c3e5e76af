from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.new_sandbox import NewSandbox
from ...models.sandbox_detail import SandboxDetail
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: NewSandbox,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/sandboxes",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | SandboxDetail | None:
    if response.status_code == 201:
        response_201 = SandboxDetail.from_dict(response.json())

        return response_201

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

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if response.status_code == 507:
        response_507 = Error.from_dict(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | SandboxDetail]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: NewSandbox,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | SandboxDetail]:
    """Create a sandbox

     Boots a sandbox from a template and answers once its agent is ready. Send an `Idempotency-Key`
    header to make retries safe: a repeated request with the same key (and API key) answers the
    sandbox the first request created instead of creating another.

    Args:
        idempotency_key (str | Unset):
        body (NewSandbox): A sandbox to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SandboxDetail]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: NewSandbox,
    idempotency_key: str | Unset = UNSET,
) -> Error | SandboxDetail | None:
    """Create a sandbox

     Boots a sandbox from a template and answers once its agent is ready. Send an `Idempotency-Key`
    header to make retries safe: a repeated request with the same key (and API key) answers the
    sandbox the first request created instead of creating another.

    Args:
        idempotency_key (str | Unset):
        body (NewSandbox): A sandbox to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SandboxDetail
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: NewSandbox,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | SandboxDetail]:
    """Create a sandbox

     Boots a sandbox from a template and answers once its agent is ready. Send an `Idempotency-Key`
    header to make retries safe: a repeated request with the same key (and API key) answers the
    sandbox the first request created instead of creating another.

    Args:
        idempotency_key (str | Unset):
        body (NewSandbox): A sandbox to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SandboxDetail]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: NewSandbox,
    idempotency_key: str | Unset = UNSET,
) -> Error | SandboxDetail | None:
    """Create a sandbox

     Boots a sandbox from a template and answers once its agent is ready. Send an `Idempotency-Key`
    header to make retries safe: a repeated request with the same key (and API key) answers the
    sandbox the first request created instead of creating another.

    Args:
        idempotency_key (str | Unset):
        body (NewSandbox): A sandbox to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SandboxDetail
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
