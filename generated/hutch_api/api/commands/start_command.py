from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.command_request import CommandRequest
from ...models.error import Error
from ...models.process_info import ProcessInfo
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    sandbox_id: str,
    *,
    body: CommandRequest,
    stream: bool | Unset = False,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["stream"] = stream

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/sandboxes/{sandbox_id}/commands".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | File | ProcessInfo | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 201:
        response_201 = ProcessInfo.from_dict(response.json())

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

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Error.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | File | ProcessInfo]:
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
    body: CommandRequest,
    stream: bool | Unset = False,
) -> Response[Error | File | ProcessInfo]:
    """Start a command

     Starts `cmd` with `/bin/bash -l -c` as `user` and answers at once with its pid. Read its output
    with `streamCommandOutput`; the agent keeps all of it for the life of the sandbox's command
    table, so a reader can attach late or re-attach and replay from the start.

    With `stream=true` the answer is the command's event stream itself (200, what
    `streamCommandOutput` sends from offset 0: its first event, `start`, carries the pid), so a
    foreground command costs one round trip; a reader whose connection drops re-attaches with
    `streamCommandOutput` at the offset it reached.

    Args:
        sandbox_id (str):
        stream (bool | Unset):  Default: False.
        body (CommandRequest): A command to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File | ProcessInfo]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        body=body,
        stream=stream,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: CommandRequest,
    stream: bool | Unset = False,
) -> Error | File | ProcessInfo | None:
    """Start a command

     Starts `cmd` with `/bin/bash -l -c` as `user` and answers at once with its pid. Read its output
    with `streamCommandOutput`; the agent keeps all of it for the life of the sandbox's command
    table, so a reader can attach late or re-attach and replay from the start.

    With `stream=true` the answer is the command's event stream itself (200, what
    `streamCommandOutput` sends from offset 0: its first event, `start`, carries the pid), so a
    foreground command costs one round trip; a reader whose connection drops re-attaches with
    `streamCommandOutput` at the offset it reached.

    Args:
        sandbox_id (str):
        stream (bool | Unset):  Default: False.
        body (CommandRequest): A command to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File | ProcessInfo
    """

    return sync_detailed(
        sandbox_id=sandbox_id,
        client=client,
        body=body,
        stream=stream,
    ).parsed


async def asyncio_detailed(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: CommandRequest,
    stream: bool | Unset = False,
) -> Response[Error | File | ProcessInfo]:
    """Start a command

     Starts `cmd` with `/bin/bash -l -c` as `user` and answers at once with its pid. Read its output
    with `streamCommandOutput`; the agent keeps all of it for the life of the sandbox's command
    table, so a reader can attach late or re-attach and replay from the start.

    With `stream=true` the answer is the command's event stream itself (200, what
    `streamCommandOutput` sends from offset 0: its first event, `start`, carries the pid), so a
    foreground command costs one round trip; a reader whose connection drops re-attaches with
    `streamCommandOutput` at the offset it reached.

    Args:
        sandbox_id (str):
        stream (bool | Unset):  Default: False.
        body (CommandRequest): A command to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File | ProcessInfo]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        body=body,
        stream=stream,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    sandbox_id: str,
    *,
    client: AuthenticatedClient,
    body: CommandRequest,
    stream: bool | Unset = False,
) -> Error | File | ProcessInfo | None:
    """Start a command

     Starts `cmd` with `/bin/bash -l -c` as `user` and answers at once with its pid. Read its output
    with `streamCommandOutput`; the agent keeps all of it for the life of the sandbox's command
    table, so a reader can attach late or re-attach and replay from the start.

    With `stream=true` the answer is the command's event stream itself (200, what
    `streamCommandOutput` sends from offset 0: its first event, `start`, carries the pid), so a
    foreground command costs one round trip; a reader whose connection drops re-attaches with
    `streamCommandOutput` at the offset it reached.

    Args:
        sandbox_id (str):
        stream (bool | Unset):  Default: False.
        body (CommandRequest): A command to start.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File | ProcessInfo
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            client=client,
            body=body,
            stream=stream,
        )
    ).parsed
