from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.template_build_request import TemplateBuildRequest
from ...models.template_build_started import TemplateBuildStarted
from ...types import Response


def _get_kwargs(
    *,
    body: TemplateBuildRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/templates",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | TemplateBuildStarted | None:
    if response.status_code == 202:
        response_202 = TemplateBuildStarted.from_dict(response.json())

        return response_202

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

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | TemplateBuildStarted]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: TemplateBuildRequest,
) -> Response[Error | TemplateBuildStarted]:
    """Build a template

     Starts building a template from a hutch template (`fromTemplate`, `base` when neither is given)
    or an OCI image (`fromImage`, pulled with skopeo), then its `steps` one by one, each in a sandbox
    of its own with the build's network policy. Each step that changes files becomes an overlay
    layer, cached by what it depends on (its base, the steps before it, their files): a step whose
    prefix is unchanged is not run again. Answers at once; follow the build with
    `getTemplateBuild`. With an `alias` the caller already uses, the build replaces that
    template's content (sandboxes already running keep theirs); a failed build changes nothing.
    A tenant has at most 2 builds in progress; more answer 429.

    Args:
        body (TemplateBuildRequest): A template to build (E2B's Template SDK serialises to this).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | TemplateBuildStarted]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: TemplateBuildRequest,
) -> Error | TemplateBuildStarted | None:
    """Build a template

     Starts building a template from a hutch template (`fromTemplate`, `base` when neither is given)
    or an OCI image (`fromImage`, pulled with skopeo), then its `steps` one by one, each in a sandbox
    of its own with the build's network policy. Each step that changes files becomes an overlay
    layer, cached by what it depends on (its base, the steps before it, their files): a step whose
    prefix is unchanged is not run again. Answers at once; follow the build with
    `getTemplateBuild`. With an `alias` the caller already uses, the build replaces that
    template's content (sandboxes already running keep theirs); a failed build changes nothing.
    A tenant has at most 2 builds in progress; more answer 429.

    Args:
        body (TemplateBuildRequest): A template to build (E2B's Template SDK serialises to this).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | TemplateBuildStarted
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: TemplateBuildRequest,
) -> Response[Error | TemplateBuildStarted]:
    """Build a template

     Starts building a template from a hutch template (`fromTemplate`, `base` when neither is given)
    or an OCI image (`fromImage`, pulled with skopeo), then its `steps` one by one, each in a sandbox
    of its own with the build's network policy. Each step that changes files becomes an overlay
    layer, cached by what it depends on (its base, the steps before it, their files): a step whose
    prefix is unchanged is not run again. Answers at once; follow the build with
    `getTemplateBuild`. With an `alias` the caller already uses, the build replaces that
    template's content (sandboxes already running keep theirs); a failed build changes nothing.
    A tenant has at most 2 builds in progress; more answer 429.

    Args:
        body (TemplateBuildRequest): A template to build (E2B's Template SDK serialises to this).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | TemplateBuildStarted]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: TemplateBuildRequest,
) -> Error | TemplateBuildStarted | None:
    """Build a template

     Starts building a template from a hutch template (`fromTemplate`, `base` when neither is given)
    or an OCI image (`fromImage`, pulled with skopeo), then its `steps` one by one, each in a sandbox
    of its own with the build's network policy. Each step that changes files becomes an overlay
    layer, cached by what it depends on (its base, the steps before it, their files): a step whose
    prefix is unchanged is not run again. Answers at once; follow the build with
    `getTemplateBuild`. With an `alias` the caller already uses, the build replaces that
    template's content (sandboxes already running keep theirs); a failed build changes nothing.
    A tenant has at most 2 builds in progress; more answer 429.

    Args:
        body (TemplateBuildRequest): A template to build (E2B's Template SDK serialises to this).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | TemplateBuildStarted
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
