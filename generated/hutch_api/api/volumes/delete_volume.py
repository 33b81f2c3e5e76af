from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    volume_id: str,
    *,
    force: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["force"] = force

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/volumes/{volume_id}".format(
            volume_id=quote(str(volume_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Error | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

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

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> Response[Any | Error]:
    """Delete a volume

     Deletes the volume and its files. 409 while a live sandbox (starting, running or paused) mounts it,
    unless `force` is true: then those sandboxes are killed first. Snapshots of sandboxes that mounted
    it can no longer be restored (409).

    Args:
        volume_id (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        volume_id=volume_id,
        force=force,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> Any | Error | None:
    """Delete a volume

     Deletes the volume and its files. 409 while a live sandbox (starting, running or paused) mounts it,
    unless `force` is true: then those sandboxes are killed first. Snapshots of sandboxes that mounted
    it can no longer be restored (409).

    Args:
        volume_id (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return sync_detailed(
        volume_id=volume_id,
        client=client,
        force=force,
    ).parsed


async def asyncio_detailed(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> Response[Any | Error]:
    """Delete a volume

     Deletes the volume and its files. 409 while a live sandbox (starting, running or paused) mounts it,
    unless `force` is true: then those sandboxes are killed first. Snapshots of sandboxes that mounted
    it can no longer be restored (409).

    Args:
        volume_id (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        volume_id=volume_id,
        force=force,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    force: bool | Unset = UNSET,
) -> Any | Error | None:
    """Delete a volume

     Deletes the volume and its files. 409 while a live sandbox (starting, running or paused) mounts it,
    unless `force` is true: then those sandboxes are killed first. Snapshots of sandboxes that mounted
    it can no longer be restored (409).

    Args:
        volume_id (str):
        force (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return (
        await asyncio_detailed(
            volume_id=volume_id,
            client=client,
            force=force,
        )
    ).parsed
