from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.code_context import CodeContext
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    sandbox_id: str,
    context_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/sandboxes/{sandbox_id}/code/contexts/{context_id}/restart".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
            context_id=quote(str(context_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> CodeContext | Error | None:
    if response.status_code == 200:
        response_200 = CodeContext.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[CodeContext | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    sandbox_id: str,
    context_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[CodeContext | Error]:
    """Restart a code context

     Replaces the context's interpreter with a fresh one (same ID, language, working directory and
    envs): all its state is lost. A running execution ends with an error.

    Args:
        sandbox_id (str):
        context_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CodeContext | Error]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        context_id=context_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    sandbox_id: str,
    context_id: str,
    *,
    client: AuthenticatedClient,
) -> CodeContext | Error | None:
    """Restart a code context

     Replaces the context's interpreter with a fresh one (same ID, language, working directory and
    envs): all its state is lost. A running execution ends with an error.

    Args:
        sandbox_id (str):
        context_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CodeContext | Error
    """

    return sync_detailed(
        sandbox_id=sandbox_id,
        context_id=context_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    sandbox_id: str,
    context_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[CodeContext | Error]:
    """Restart a code context

     Replaces the context's interpreter with a fresh one (same ID, language, working directory and
    envs): all its state is lost. A running execution ends with an error.

    Args:
        sandbox_id (str):
        context_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CodeContext | Error]
    """

    kwargs = _get_kwargs(
        sandbox_id=sandbox_id,
        context_id=context_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    sandbox_id: str,
    context_id: str,
    *,
    client: AuthenticatedClient,
) -> CodeContext | Error | None:
    """Restart a code context

     Replaces the context's interpreter with a fresh one (same ID, language, working directory and
    envs): all its state is lost. A running execution ends with an error.

    Args:
        sandbox_id (str):
        context_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CodeContext | Error
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            context_id=context_id,
            client=client,
        )
    ).parsed
