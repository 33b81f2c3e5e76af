from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.code_run_request import CodeRunRequest
from ...models.error import Error
from ...types import File, Response


def _get_kwargs(
    sandbox_id: str,
    *,
    body: CodeRunRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/sandboxes/{sandbox_id}/code/run".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
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
    body: CodeRunRequest,
) -> Response[Error | File]:
    """Run code

     Runs `code` in a code context: a persistent interpreter whose state (variables, imports, the
    working directory, exported variables) carries over to the next call, like a notebook. Without
    `contextID`, the language's default context is used (its ID is the language's name, and it is
    created on first use). Calls to one context run one after another.

    The answer is an NDJSON stream of `CodeEvent`s as they happen: `stdout`/`stderr` text,
    `result`s (the value of a final expression, anything shown with `display()`, matplotlib figures
    as PNG), at most one `error`, and a final `done`. An error in the code is an `error` event, not
    an HTTP error. When `timeout` passes, the code is interrupted (SIGINT) and the context keeps its
    state; if it does not stop within a few seconds, the context is restarted and the `error` event
    says that its state was lost.

    Args:
        sandbox_id (str):
        body (CodeRunRequest): Code to run.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
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
    body: CodeRunRequest,
) -> Error | File | None:
    """Run code

     Runs `code` in a code context: a persistent interpreter whose state (variables, imports, the
    working directory, exported variables) carries over to the next call, like a notebook. Without
    `contextID`, the language's default context is used (its ID is the language's name, and it is
    created on first use). Calls to one context run one after another.

    The answer is an NDJSON stream of `CodeEvent`s as they happen: `stdout`/`stderr` text,
    `result`s (the value of a final expression, anything shown with `display()`, matplotlib figures
    as PNG), at most one `error`, and a final `done`. An error in the code is an `error` event, not
    an HTTP error. When `timeout` passes, the code is interrupted (SIGINT) and the context keeps its
    state; if it does not stop within a few seconds, the context is restarted and the `error` event
    says that its state was lost.

    Args:
        sandbox_id (str):
        body (CodeRunRequest): Code to run.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
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
    body: CodeRunRequest,
) -> Response[Error | File]:
    """Run code

     Runs `code` in a code context: a persistent interpreter whose state (variables, imports, the
    working directory, exported variables) carries over to the next call, like a notebook. Without
    `contextID`, the language's default context is used (its ID is the language's name, and it is
    created on first use). Calls to one context run one after another.

    The answer is an NDJSON stream of `CodeEvent`s as they happen: `stdout`/`stderr` text,
    `result`s (the value of a final expression, anything shown with `display()`, matplotlib figures
    as PNG), at most one `error`, and a final `done`. An error in the code is an `error` event, not
    an HTTP error. When `timeout` passes, the code is interrupted (SIGINT) and the context keeps its
    state; if it does not stop within a few seconds, the context is restarted and the `error` event
    says that its state was lost.

    Args:
        sandbox_id (str):
        body (CodeRunRequest): Code to run.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
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
    body: CodeRunRequest,
) -> Error | File | None:
    """Run code

     Runs `code` in a code context: a persistent interpreter whose state (variables, imports, the
    working directory, exported variables) carries over to the next call, like a notebook. Without
    `contextID`, the language's default context is used (its ID is the language's name, and it is
    created on first use). Calls to one context run one after another.

    The answer is an NDJSON stream of `CodeEvent`s as they happen: `stdout`/`stderr` text,
    `result`s (the value of a final expression, anything shown with `display()`, matplotlib figures
    as PNG), at most one `error`, and a final `done`. An error in the code is an `error` event, not
    an HTTP error. When `timeout` passes, the code is interrupted (SIGINT) and the context keeps its
    state; if it does not stop within a few seconds, the context is restarted and the `error` event
    says that its state was lost.

    Args:
        sandbox_id (str):
        body (CodeRunRequest): Code to run.

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
            body=body,
        )
    ).parsed
