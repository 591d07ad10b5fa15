"""Provision an application and point a phone number at it with the generated REST client.

Run with ``JAMBONZ_API_URL``, ``JAMBONZ_ACCOUNT_SID`` and ``JAMBONZ_API_KEY`` set (and
``pip install 'jambonz-typed[rest]'``)::

    python -m examples.rest_provision +15085550100 https://app.example.com/

Every call is typed: the request models come from the api-server's OpenAPI spec
(``jambonz_types.api``), a misspelt field or a wrong enum is a mypy error, and an error
answer raises a ``RestStatusError`` subclass with the server's message.
"""

from __future__ import annotations

import sys

from jambonz_runtime.rest import JambonzClient, RestNotFound
from jambonz_types.api import CreateApplicationRequest, UpdatePhoneNumberRequest, Webhook

__all__ = ["main", "provision"]


def provision(client: JambonzClient, number: str, hook: str) -> str:
    """Create an application calling ``hook`` and route ``number`` to it; return its sid."""
    created = client.applications.create(
        body=CreateApplicationRequest(
            name=f"ivr for {number}",
            account_sid=client.account_sid or "",
            call_hook=Webhook(url=hook, method="POST"),
            call_status_hook=Webhook(url=f"{hook.rstrip('/')}/status", method="POST"),
        )
    )
    for phone in client.phone_numbers.list():
        if phone.number == number:
            client.phone_numbers.update(
                phone_number_sid=phone.phone_number_sid,
                body=UpdatePhoneNumberRequest(application_sid=created.sid),
            )
            return created.sid
    raise LookupError(f"{number} is not provisioned on this account")


def main(argv: list[str]) -> int:
    number, hook = argv
    with JambonzClient() as client:  # JAMBONZ_API_URL / _ACCOUNT_SID / _API_KEY
        try:
            sid = provision(client, number, hook)
        except (LookupError, RestNotFound) as exc:
            print(f"not done: {exc}", file=sys.stderr)
            return 1
    print(f"{number} -> application {sid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
