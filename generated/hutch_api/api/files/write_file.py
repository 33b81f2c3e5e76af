from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.write_info import WriteInfo
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    sandbox_id: str,
    *,
    body: File,
    path: str,
    user: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["path"] = path

    params["user"] = user

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/sandboxes/{sandbox_id}/files".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | WriteInfo | None:
    if response.status_code == 200:
        response_200 = WriteInfo.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Error.from_dict(response.json())

        return response_502

    if response.status_code == 507:
        response_507 = Error.from_dict(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | WriteInfo]:
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
    body: File,
    path: str,
    user: str | Unset = UNSET,
) -> Response[Error | WriteInfo]:
    """Write a file

     Replaces the file with the body (streamed), creating parent directories; the file is owned by
    `user`. An empty body sent as `application/octet-stream` writes an empty file; a request with
    no body and no Content-Type is 400.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WriteInfo]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        body=body,
        path=path,
        user=user,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    path: str,
    user: str | Unset = UNSET,
) -> Error | WriteInfo | None:
    """Write a file

     Replaces the file with the body (streamed), creating parent directories; the file is owned by
    `user`. An empty body sent as `application/octet-stream` writes an empty file; a request with
    no body and no Content-Type is 400.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WriteInfo
    """

    return sync_detailed(
        sandbox_id=sandbox_id,
        client=client,
        body=body,
        path=path,
        user=user,
    ).parsed


async def asyncio_detailed(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    path: str,
    user: str | Unset = UNSET,
) -> Response[Error | WriteInfo]:
    """Write a file

     Replaces the file with the body (streamed), creating parent directories; the file is owned by
    `user`. An empty body sent as `application/octet-stream` writes an empty file; a request with
    no body and no Content-Type is 400.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | WriteInfo]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        body=body,
        path=path,
        user=user,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    path: str,
    user: str | Unset = UNSET,
) -> Error | WriteInfo | None:
    """Write a file

     Replaces the file with the body (streamed), creating parent directories; the file is owned by
    `user`. An empty body sent as `application/octet-stream` writes an empty file; a request with
    no body and no Content-Type is 400.

    Args:
        sandbox_id (str):
        path (str):
        user (str | Unset):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | WriteInfo
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            client=client,
            body=body,
            path=path,
            user=user,
        )
    ).parsed
