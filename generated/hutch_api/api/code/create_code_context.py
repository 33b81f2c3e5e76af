from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.code_context import CodeContext
from ...models.error import Error
from ...models.new_code_context import NewCodeContext
from ...types import Response


def _get_kwargs(
    sandbox_id: str,
    *,
    body: NewCodeContext,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/sandboxes/{sandbox_id}/code/contexts".format(
            sandbox_id=quote(str(sandbox_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> CodeContext | Error | None:
    if response.status_code == 201:
        response_201 = CodeContext.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[CodeContext | Error]:
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
    body: NewCodeContext,
) -> Response[CodeContext | Error]:
    """Create a code context

     Starts a new interpreter for `language`, independent of every other context, and answers its
    ID for `runCode`. 422 if the sandbox's template lacks the language's interpreter (`base` runs
    python, javascript and bash; `code-interpreter` typescript, r and java too); 409 when the sandbox
    already has as many contexts as it may.

    Args:
        sandbox_id (str):
        body (NewCodeContext): A code context to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CodeContext | Error]
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
    body: NewCodeContext,
) -> CodeContext | Error | None:
    """Create a code context

     Starts a new interpreter for `language`, independent of every other context, and answers its
    ID for `runCode`. 422 if the sandbox's template lacks the language's interpreter (`base` runs
    python, javascript and bash; `code-interpreter` typescript, r and java too); 409 when the sandbox
    already has as many contexts as it may.

    Args:
        sandbox_id (str):
        body (NewCodeContext): A code context to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CodeContext | Error
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
    body: NewCodeContext,
) -> Response[CodeContext | Error]:
    """Create a code context

     Starts a new interpreter for `language`, independent of every other context, and answers its
    ID for `runCode`. 422 if the sandbox's template lacks the language's interpreter (`base` runs
    python, javascript and bash; `code-interpreter` typescript, r and java too); 409 when the sandbox
    already has as many contexts as it may.

    Args:
        sandbox_id (str):
        body (NewCodeContext): A code context to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CodeContext | Error]
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
    body: NewCodeContext,
) -> CodeContext | Error | None:
    """Create a code context

     Starts a new interpreter for `language`, independent of every other context, and answers its
    ID for `runCode`. 422 if the sandbox's template lacks the language's interpreter (`base` runs
    python, javascript and bash; `code-interpreter` typescript, r and java too); 409 when the sandbox
    already has as many contexts as it may.

    Args:
        sandbox_id (str):
        body (NewCodeContext): A code context to create.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CodeContext | Error
    """

    return (
        await asyncio_detailed(
            sandbox_id=sandbox_id,
            client=client,
            body=body,
        )
    ).parsed
