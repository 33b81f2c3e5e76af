from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.volume_entry import VolumeEntry
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    volume_id: str,
    *,
    body: File,
    uid: int | Unset = UNSET,
    gid: int | Unset = UNSET,
    mode: int | Unset = UNSET,
    path: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["uid"] = uid

    params["gid"] = gid

    params["mode"] = mode

    params["path"] = path

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/volumes/{volume_id}/files".format(
            volume_id=quote(str(volume_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | VolumeEntry | None:
    if response.status_code == 200:
        response_200 = VolumeEntry.from_dict(response.json())

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

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | VolumeEntry]:
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
    body: File,
    uid: int | Unset = UNSET,
    gid: int | Unset = UNSET,
    mode: int | Unset = UNSET,
    path: str,
) -> Response[Error | VolumeEntry]:
    """Write a file of a volume

     Replaces the file with the body (streamed), creating parent directories; the file and the
    directories made are owned by `uid`/`gid` (the sandbox user, 1000, when absent). Readers see the
    old file or the new one, never half of it. 507 when the volume is full (the old file stays).

    Args:
        volume_id (str):
        uid (int | Unset):
        gid (int | Unset):
        mode (int | Unset):
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | VolumeEntry]
    """

    kwargs = _get_kwargs(
        volume_id=volume_id,
        body=body,
        uid=uid,
        gid=gid,
        mode=mode,
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
    body: File,
    uid: int | Unset = UNSET,
    gid: int | Unset = UNSET,
    mode: int | Unset = UNSET,
    path: str,
) -> Error | VolumeEntry | None:
    """Write a file of a volume

     Replaces the file with the body (streamed), creating parent directories; the file and the
    directories made are owned by `uid`/`gid` (the sandbox user, 1000, when absent). Readers see the
    old file or the new one, never half of it. 507 when the volume is full (the old file stays).

    Args:
        volume_id (str):
        uid (int | Unset):
        gid (int | Unset):
        mode (int | Unset):
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | VolumeEntry
    """

    return sync_detailed(
        volume_id=volume_id,
        client=client,
        body=body,
        uid=uid,
        gid=gid,
        mode=mode,
        path=path,
    ).parsed


async def asyncio_detailed(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    uid: int | Unset = UNSET,
    gid: int | Unset = UNSET,
    mode: int | Unset = UNSET,
    path: str,
) -> Response[Error | VolumeEntry]:
    """Write a file of a volume

     Replaces the file with the body (streamed), creating parent directories; the file and the
    directories made are owned by `uid`/`gid` (the sandbox user, 1000, when absent). Readers see the
    old file or the new one, never half of it. 507 when the volume is full (the old file stays).

    Args:
        volume_id (str):
        uid (int | Unset):
        gid (int | Unset):
        mode (int | Unset):
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | VolumeEntry]
    """

    kwargs = _get_kwargs(
        volume_id=volume_id,
        body=body,
        uid=uid,
        gid=gid,
        mode=mode,
        path=path,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    volume_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    uid: int | Unset = UNSET,
    gid: int | Unset = UNSET,
    mode: int | Unset = UNSET,
    path: str,
) -> Error | VolumeEntry | None:
    """Write a file of a volume

     Replaces the file with the body (streamed), creating parent directories; the file and the
    directories made are owned by `uid`/`gid` (the sandbox user, 1000, when absent). Readers see the
    old file or the new one, never half of it. 507 when the volume is full (the old file stays).

    Args:
        volume_id (str):
        uid (int | Unset):
        gid (int | Unset):
        mode (int | Unset):
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | VolumeEntry
    """

    return (
        await asyncio_detailed(
            volume_id=volume_id,
            client=client,
            body=body,
            uid=uid,
            gid=gid,
            mode=mode,
            path=path,
        )
    ).parsed
