from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.new_volume import NewVolume
from ...models.volume import Volume
from ...types import Response


def _get_kwargs(
    *,
    body: NewVolume,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/volumes",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | Volume | None:
    if response.status_code == 201:
        response_201 = Volume.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 507:
        response_507 = Error.from_dict(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | Volume]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: NewVolume,
) -> Response[Error | Volume]:
    """Create a volume

     A new empty volume of the caller's: an ext4 file system of `sizeMB` (its limit: a write past it
    fails
    with ENOSPC in a sandbox and 507 through the files API). Its root belongs to the sandbox user
    (uid 1000). 409 if the caller already has a volume of that name; 507 if the host cannot promise
    that much disk.

    Args:
        body (NewVolume): A volume to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Volume]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: NewVolume,
) -> Error | Volume | None:
    """Create a volume

     A new empty volume of the caller's: an ext4 file system of `sizeMB` (its limit: a write past it
    fails
    with ENOSPC in a sandbox and 507 through the files API). Its root belongs to the sandbox user
    (uid 1000). 409 if the caller already has a volume of that name; 507 if the host cannot promise
    that much disk.

    Args:
        body (NewVolume): A volume to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Volume
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: NewVolume,
) -> Response[Error | Volume]:
    """Create a volume

     A new empty volume of the caller's: an ext4 file system of `sizeMB` (its limit: a write past it
    fails
    with ENOSPC in a sandbox and 507 through the files API). Its root belongs to the sandbox user
    (uid 1000). 409 if the caller already has a volume of that name; 507 if the host cannot promise
    that much disk.

    Args:
        body (NewVolume): A volume to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Volume]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: NewVolume,
) -> Error | Volume | None:
    """Create a volume

     A new empty volume of the caller's: an ext4 file system of `sizeMB` (its limit: a write past it
    fails
    with ENOSPC in a sandbox and 507 through the files API). Its root belongs to the sandbox user
    (uid 1000). 409 if the caller already has a volume of that name; 507 if the host cannot promise
    that much disk.

    Args:
        body (NewVolume): A volume to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Volume
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
