from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.template_files import TemplateFiles
from ...types import File, Response


def _get_kwargs(
    files_hash: str,
    *,
    body: File,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/template-files/{files_hash}".format(
            files_hash=quote(str(files_hash), safe=""),
        ),
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | TemplateFiles | None:
    if response.status_code == 201:
        response_201 = TemplateFiles.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | TemplateFiles]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    files_hash: str,
    *,
    client: AuthenticatedClient,
    body: File,
) -> Response[Error | TemplateFiles]:
    """Upload files for a template's copy step

     A gzipped tar (sent as `application/octet-stream`) of the files of one `copy` step, streamed, stored
    under its SHA-256 for the
    caller's builds (409 if the body's digest differs). Uploading what is already there is a no-op.
    The tar is unpacked inside the build's sandbox, never on the host.

    Args:
        files_hash (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | TemplateFiles]
    """

    kwargs = _get_kwargs(
        files_hash=files_hash,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    files_hash: str,
    *,
    client: AuthenticatedClient,
    body: File,
) -> Error | TemplateFiles | None:
    """Upload files for a template's copy step

     A gzipped tar (sent as `application/octet-stream`) of the files of one `copy` step, streamed, stored
    under its SHA-256 for the
    caller's builds (409 if the body's digest differs). Uploading what is already there is a no-op.
    The tar is unpacked inside the build's sandbox, never on the host.

    Args:
        files_hash (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | TemplateFiles
    """

    return sync_detailed(
        files_hash=files_hash,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    files_hash: str,
    *,
    client: AuthenticatedClient,
    body: File,
) -> Response[Error | TemplateFiles]:
    """Upload files for a template's copy step

     A gzipped tar (sent as `application/octet-stream`) of the files of one `copy` step, streamed, stored
    under its SHA-256 for the
    caller's builds (409 if the body's digest differs). Uploading what is already there is a no-op.
    The tar is unpacked inside the build's sandbox, never on the host.

    Args:
        files_hash (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | TemplateFiles]
    """

    kwargs = _get_kwargs(
        files_hash=files_hash,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    files_hash: str,
    *,
    client: AuthenticatedClient,
    body: File,
) -> Error | TemplateFiles | None:
    """Upload files for a template's copy step

     A gzipped tar (sent as `application/octet-stream`) of the files of one `copy` step, streamed, stored
    under its SHA-256 for the
    caller's builds (409 if the body's digest differs). Uploading what is already there is a no-op.
    The tar is unpacked inside the build's sandbox, never on the host.

    Args:
        files_hash (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | TemplateFiles
    """

    return (
        await asyncio_detailed(
            files_hash=files_hash,
            client=client,
            body=body,
        )
    ).parsed
