from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    sandbox_id: str,
    *,
    path: str,
    user: str | Unset = UNSET,
    recursive: bool | Unset = UNSET,
    include_entry: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["path"] = path

    params["user"] = user

    params["recursive"] = recursive

    params["includeEntry"] = include_entry

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/sandboxes/{sandbox_id}/files/watch".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | File | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

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

    if response.status_code == 502:
        response_502 = Error.from_dict(response.json())

        return response_502

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | File]:
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
    path: str,
    user: str | Unset = UNSET,
    recursive: bool | Unset = UNSET,
    include_entry: bool | Unset = UNSET,
) -> Response[Error | File]:
    """Watch a directory

     An NDJSON stream of `FilesystemEvent`s for changes under a directory, as they happen, until the
    client disconnects. The first line is a `ready` event, sent once the watch is in place.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        recursive (bool | Unset):
        include_entry (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        path=path,
        user=user,
        recursive=recursive,
        include_entry=include_entry,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    path: str,
    user: str | Unset = UNSET,
    recursive: bool | Unset = UNSET,
    include_entry: bool | Unset = UNSET,
) -> Error | File | None:
    """Watch a directory

     An NDJSON stream of `FilesystemEvent`s for changes under a directory, as they happen, until the
    client disconnects. The first line is a `ready` event, sent once the watch is in place.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        recursive (bool | Unset):
        include_entry (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return sync_detailed(
        sandbox_id=sandbox_id,
        client=client,
        path=path,
        user=user,
        recursive=recursive,
        include_entry=include_entry,
    ).parsed


async def asyncio_detailed(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    path: str,
    user: str | Unset = UNSET,
    recursive: bool | Unset = UNSET,
    include_entry: bool | Unset = UNSET,
) -> Response[Error | File]:
    """Watch a directory

     An NDJSON stream of `FilesystemEvent`s for changes under a directory, as they happen, until the
    client disconnects. The first line is a `ready` event, sent once the watch is in place.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        recursive (bool | Unset):
        include_entry (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        path=path,
        user=user,
        recursive=recursive,
        include_entry=include_entry,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    path: str,
    user: str | Unset = UNSET,
    recursive: bool | Unset = UNSET,
    include_entry: bool | Unset = UNSET,
) -> Error | File | None:
    """Watch a directory

     An NDJSON stream of `FilesystemEvent`s for changes under a directory, as they happen, until the
    client disconnects. The first line is a `ready` event, sent once the watch is in place.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        recursive (bool | Unset):
        include_entry (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            client=client,
            path=path,
            user=user,
            recursive=recursive,
            include_entry=include_entry,
        )
    ).parsed
