import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.list_sandboxes_order import ListSandboxesOrder
from ...models.sandbox_list import SandboxList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = UNSET,
    next_token: str | Unset = UNSET,
    state: list[str] | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
    template: str | Unset = UNSET,
    name: str | Unset = UNSET,
    started_after: datetime.datetime | Unset = UNSET,
    order: ListSandboxesOrder | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["nextToken"] = next_token

    json_state: list[str] | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state

    params["state"] = json_state

    json_metadata: list[str] | Unset = UNSET
    if not isinstance(metadata, Unset):
        json_metadata = metadata

    params["metadata"] = json_metadata

    params["template"] = template

    params["name"] = name

    json_started_after: str | Unset = UNSET
    if not isinstance(started_after, Unset):
        json_started_after = started_after.isoformat()
    params["startedAfter"] = json_started_after

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order

    params["order"] = json_order

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/sandboxes",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | SandboxList | None:
    if response.status_code == 200:
        response_200 = SandboxList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | SandboxList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    next_token: str | Unset = UNSET,
    state: list[str] | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
    template: str | Unset = UNSET,
    name: str | Unset = UNSET,
    started_after: datetime.datetime | Unset = UNSET,
    order: ListSandboxesOrder | Unset = UNSET,
) -> Response[Error | SandboxList]:
    """List sandboxes

     One page of the caller's sandboxes, newest first. Filters combine with AND. Pass the
    `nextToken` of a page to get the next one; it is null on the last page.

    Args:
        limit (int | Unset):
        next_token (str | Unset):
        state (list[str] | Unset):
        metadata (list[str] | Unset):
        template (str | Unset):
        name (str | Unset):
        started_after (datetime.datetime | Unset):
        order (ListSandboxesOrder | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SandboxList]
    """

    kwargs = _get_kwargs(
        limit=limit,
        next_token=next_token,
        state=state,
        metadata=metadata,
        template=template,
        name=name,
        started_after=started_after,
        order=order,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    next_token: str | Unset = UNSET,
    state: list[str] | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
    template: str | Unset = UNSET,
    name: str | Unset = UNSET,
    started_after: datetime.datetime | Unset = UNSET,
    order: ListSandboxesOrder | Unset = UNSET,
) -> Error | SandboxList | None:
    """List sandboxes

     One page of the caller's sandboxes, newest first. Filters combine with AND. Pass the
    `nextToken` of a page to get the next one; it is null on the last page.

    Args:
        limit (int | Unset):
        next_token (str | Unset):
        state (list[str] | Unset):
        metadata (list[str] | Unset):
        template (str | Unset):
        name (str | Unset):
        started_after (datetime.datetime | Unset):
        order (ListSandboxesOrder | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SandboxList
    """

    return sync_detailed(
        client=client,
        limit=limit,
        next_token=next_token,
        state=state,
        metadata=metadata,
        template=template,
        name=name,
        started_after=started_after,
        order=order,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    next_token: str | Unset = UNSET,
    state: list[str] | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
    template: str | Unset = UNSET,
    name: str | Unset = UNSET,
    started_after: datetime.datetime | Unset = UNSET,
    order: ListSandboxesOrder | Unset = UNSET,
) -> Response[Error | SandboxList]:
    """List sandboxes

     One page of the caller's sandboxes, newest first. Filters combine with AND. Pass the
    `nextToken` of a page to get the next one; it is null on the last page.

    Args:
        limit (int | Unset):
        next_token (str | Unset):
        state (list[str] | Unset):
        metadata (list[str] | Unset):
        template (str | Unset):
        name (str | Unset):
        started_after (datetime.datetime | Unset):
        order (ListSandboxesOrder | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SandboxList]
    """

    kwargs = _get_kwargs(
        limit=limit,
        next_token=next_token,
        state=state,
        metadata=metadata,
        template=template,
        name=name,
        started_after=started_after,
        order=order,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = UNSET,
    next_token: str | Unset = UNSET,
    state: list[str] | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
    template: str | Unset = UNSET,
    name: str | Unset = UNSET,
    started_after: datetime.datetime | Unset = UNSET,
    order: ListSandboxesOrder | Unset = UNSET,
) -> Error | SandboxList | None:
    """List sandboxes

     One page of the caller's sandboxes, newest first. Filters combine with AND. Pass the
    `nextToken` of a page to get the next one; it is null on the last page.

    Args:
        limit (int | Unset):
        next_token (str | Unset):
        state (list[str] | Unset):
        metadata (list[str] | Unset):
        template (str | Unset):
        name (str | Unset):
        started_after (datetime.datetime | Unset):
        order (ListSandboxesOrder | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SandboxList
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            next_token=next_token,
            state=state,
            metadata=metadata,
            template=template,
            name=name,
            started_after=started_after,
            order=order,
        )
    ).parsed
