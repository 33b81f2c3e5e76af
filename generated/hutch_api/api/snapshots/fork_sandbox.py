from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.fork_request import ForkRequest
from ...models.fork_result import ForkResult
from ...types import Response


def _get_kwargs(
    sandbox_id: str,
    *,
    body: ForkRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/sandboxes/{sandbox_id}/fork".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | list[ForkResult] | None:
    if response.status_code == 201:
        response_201 = []
        _response_201 = response.json()
        for response_201_item_data in _response_201:
            response_201_item = ForkResult.from_dict(response_201_item_data)

            response_201.append(response_201_item)

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

    if response.status_code == 507:
        response_507 = Error.from_dict(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | list[ForkResult]]:
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
    body: ForkRequest,
) -> Response[Error | list[ForkResult]]:
    """Fork a sandbox

     Takes one `manual` snapshot of the sandbox's files (it keeps running) and boots `count` new
    sandboxes from it in parallel, each with the original's template, metadata, envs, limits and
    lifecycle. Disk admission counts all `count` disks before anything is booted (507). One
    result per fork, in order: a sandbox, or the error its boot met.

    Args:
        sandbox_id (str):
        body (ForkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[ForkResult]]
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
    body: ForkRequest,
) -> Error | list[ForkResult] | None:
    """Fork a sandbox

     Takes one `manual` snapshot of the sandbox's files (it keeps running) and boots `count` new
    sandboxes from it in parallel, each with the original's template, metadata, envs, limits and
    lifecycle. Disk admission counts all `count` disks before anything is booted (507). One
    result per fork, in order: a sandbox, or the error its boot met.

    Args:
        sandbox_id (str):
        body (ForkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[ForkResult]
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
    body: ForkRequest,
) -> Response[Error | list[ForkResult]]:
    """Fork a sandbox

     Takes one `manual` snapshot of the sandbox's files (it keeps running) and boots `count` new
    sandboxes from it in parallel, each with the original's template, metadata, envs, limits and
    lifecycle. Disk admission counts all `count` disks before anything is booted (507). One
    result per fork, in order: a sandbox, or the error its boot met.

    Args:
        sandbox_id (str):
        body (ForkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | list[ForkResult]]
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
    body: ForkRequest,
) -> Error | list[ForkResult] | None:
    """Fork a sandbox

     Takes one `manual` snapshot of the sandbox's files (it keeps running) and boots `count` new
    sandboxes from it in parallel, each with the original's template, metadata, envs, limits and
    lifecycle. Disk admission counts all `count` disks before anything is booted (507). One
    result per fork, in order: a sandbox, or the error its boot met.

    Args:
        sandbox_id (str):
        body (ForkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | list[ForkResult]
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            client=client,
            body=body,
        )
    ).parsed
