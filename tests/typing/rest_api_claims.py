"""Typing claims about the generated REST API clients, checked by mypy --strict (never run).

* every method returns its spec's model (a list, ``None``, ``bytes`` where the spec says);
* the sync and async clients have the same methods, the async ones awaitable;
* request models refuse a wrong enum value and a missing required field; parameters are
  keyword-only; a returned model cannot be used as another type.

Negative cases carry the precise ignore code; ``warn_unused_ignores`` keeps them honest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from typing_extensions import assert_type

from jambonz_runtime.rest import AsyncJambonzClient, JambonzClient
from jambonz_types.api import (
    Application,
    CreateApplicationRequest,
    ListRecentCallsResponse,
    ListRecentCallsResponseDataItem,
    PhoneNumber,
    SuccessfulAdd,
    UpdateCallRequest,
    UpdateCallResponse,
    UpdatePhoneNumberRequest,
    Webhook,
)

__all__: list[str] = []


def sync_claims(client: JambonzClient) -> None:
    created = client.applications.create(
        body=CreateApplicationRequest(
            name="ivr",
            account_sid="sid",
            call_hook=Webhook(url="https://x/"),
            call_status_hook=Webhook(url="https://x/status"),
        )
    )
    assert_type(created, SuccessfulAdd)
    assert_type(client.applications.list(), list[Application])
    assert_type(client.phone_numbers.get(phone_number_sid="p"), PhoneNumber)
    assert_type(
        client.phone_numbers.update(
            phone_number_sid="p",
            body=UpdatePhoneNumberRequest(application_sid="a"),
        ),
        None,
    )
    assert_type(client.recent_calls.list(page=1, count=25), ListRecentCallsResponse)
    assert_type(client.recent_calls.iter_list(count=25), Iterator[ListRecentCallsResponseDataItem])
    assert_type(client.recent_calls.get_pcap(call_id="c"), bytes)
    assert_type(
        client.calls.update(call_sid="c", body=UpdateCallRequest(mute_status="mute")),
        UpdateCallResponse | None,
    )
    # wrong return type use: a list of applications is not one application
    one: Application = client.applications.list()  # type: ignore[assignment]
    # keyword-only: no positional sid
    client.applications.get("a")  # type: ignore[call-arg]
    # a wrong enum value in a request model
    UpdateCallRequest(mute_status="loud")  # type: ignore[arg-type]
    # a missing required field (Webhook.url)
    Webhook(method="POST")  # type: ignore[call-arg]
    del one


async def async_claims(client: AsyncJambonzClient) -> None:
    assert_type(await client.applications.list(), list[Application])
    assert_type(client.recent_calls.iter_list(), AsyncIterator[ListRecentCallsResponseDataItem])
    async for item in client.recent_calls.iter_list():
        assert_type(item, ListRecentCallsResponseDataItem)
    # not awaited: a coroutine, not the model
    not_yet: Application = client.applications.get(application_sid="a")  # type: ignore[assignment]
    del not_yet
