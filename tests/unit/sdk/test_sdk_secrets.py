"""``create(secrets=...)``: secrets held by the egress proxy, both flavors, against a respx server."""

from __future__ import annotations

import pytest
from sdk_fakes import detail, sent_json

from hutch import InvalidArgumentException, Secret


async def test_secrets_are_sent_as_the_spec_has_them(sdk, api) -> None:
    created = api.post("/sandboxes").respond(201, json=detail())
    sbx = await sdk.create(
        secrets={
            "OPENAI_API_KEY": Secret("sk-1", hosts=["api.openai.com"]),
            "GH": {"value": "ghp-2", "hosts": ["*.github.com", "github.com"]},  # the dict form too
        }
    )
    assert sent_json(created)["secrets"] == {
        "OPENAI_API_KEY": {"value": "sk-1", "hosts": ["api.openai.com"]},
        "GH": {"value": "ghp-2", "hosts": ["*.github.com", "github.com"]},
    }
    assert sent_json(created)["secure"] is True
    await sdk(sbx.close())


def test_a_secrets_repr_never_shows_its_value() -> None:
    assert "sk-1" not in repr(Secret("sk-1", hosts=["a.example"]))


@pytest.mark.parametrize(
    "bad",
    [
        {"K": "just-a-string"},
        {"K": Secret("v", hosts=[])},
        {"K": {"value": "v"}},
        {"K": {"value": 1, "hosts": ["a.example"]}},
        {"K": {"value": "v", "hosts": ["a.example"], "ttl": 1}},
        ["K"],
    ],
)
async def test_a_malformed_secret_is_refused_before_any_request(sdk, api, bad) -> None:
    route = api.post("/sandboxes").respond(201, json=detail())
    with pytest.raises(InvalidArgumentException, match="secrets"):
        await sdk.create(secrets=bad)
    assert not route.called
