from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.volume_entry import VolumeEntry
from ...types import UNSET, Response, Unset


def _get_kwargs(
    volume_id: str,
    *,
    depth: int | Unset = UNSET,
    path: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["depth"] = depth

    params["path"] = path

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/volumes/{volume_id}/files/list".format(
            volume_id=quote(str(volume_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[VolumeEntry] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = VolumeEntry.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

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
) -> Response[Error | list[VolumeEntry]]:
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
    depth: int | Unset = UNSET,
    path: str,
) -> Response[Error | list[VolumeEntry]]:
    """List a directory of a volume

     Entries of a directory, down to `depth` levels (1 = only the directory itself), sorted by path.

    Args:
        volume_id (str):
        depth (int | Unset):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[VolumeEntry]]
    """

    kwargs = _get_kwargs(
        volume_id=volume_id,
        depth=depth,
        path=path,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    depth: int | Unset = UNSET,
    path: str,
) -> Error | list[VolumeEntry] | None:
    """List a directory of a volume

     Entries of a directory, down to `depth` levels (1 = only the directory itself), sorted by path.

    Args:
        volume_id (str):
        depth (int | Unset):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[VolumeEntry]
    """

    return sync_detailed(
        volume_id=volume_id,
        client=client,
        depth=depth,
        path=path,
    ).parsed


async def asyncio_detailed(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    depth: int | Unset = UNSET,
    path: str,
) -> Response[Error | list[VolumeEntry]]:
    """List a directory of a volume

     Entries of a directory, down to `depth` levels (1 = only the directory itself), sorted by path.

    Args:
        volume_id (str):
        depth (int | Unset):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[VolumeEntry]]
    """

    kwargs = _get_kwargs(
        volume_id=volume_id,
        depth=depth,
        path=path,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    depth: int | Unset = UNSET,
    path: str,
) -> Error | list[VolumeEntry] | None:
    """List a directory of a volume

     Entries of a directory, down to `depth` levels (1 = only the directory itself), sorted by path.

    Args:
        volume_id (str):
        depth (int | Unset):
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[VolumeEntry]
    """

    return (
        await asyncio_detailed(
            volume_id=volume_id,
            client=client,
            depth=depth,
            path=path,
        )
    ).parsed
