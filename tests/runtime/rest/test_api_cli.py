"""``jambonz-typed api``: the common chores against Prism (the spec's mock server).

List applications (table and ``--json``), point a phone number at an application,
list recent calls through the pagination helper, and the clear one-line errors for a
missing setting, an unknown resource and a bad value.
"""

from __future__ import annotations

import json

import pytest

from jambonz_runtime.cli import main

ACCOUNT = "0f0e5f57-52b1-4f6e-9a1b-00000000000a"
SID = "0f0e5f57-52b1-4f6e-9a1b-000000000001"


@pytest.fixture
def api_env(prism_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMBONZ_API_URL", prism_url)
    monkeypatch.setenv("JAMBONZ_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("JAMBONZ_API_KEY", "key")


@pytest.mark.usefixtures("api_env")
def test_list_applications_as_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api", "applications", "list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["application_sid", "name", "account_sid"]
    assert table[-1].endswith("row)") or table[-1].endswith("rows)")
    assert main(["api", "applications", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list)
    assert all("application_sid" in app for app in data)


@pytest.mark.usefixtures("api_env")
def test_update_a_phone_numbers_application(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["api", "phone-numbers", "update", f"phone_number_sid={SID}", f"application_sid={SID}"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == "done"


@pytest.mark.usefixtures("api_env")
def test_recent_calls_walks_pages_up_to_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api", "recent-calls", "list", "--limit", "3", "--json"]) == 0
    calls = json.loads(capsys.readouterr().out)
    assert isinstance(calls, list)
    assert len(calls) <= 3


@pytest.mark.usefixtures("api_env")
def test_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api", "aplications", "list"]) == 1
    assert 'did you mean "applications"' in capsys.readouterr().err
    assert main(["api", "recent-calls", "list", "page=x", "count=2"]) == 1
    assert "page:" in capsys.readouterr().err
    assert main(["api", "applications", "create", "name=x"]) == 1
    err = capsys.readouterr().err
    assert "body account_sid: Field required" in err
    assert "Traceback" not in err


def test_missing_settings_name_the_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("JAMBONZ_API_URL", "JAMBONZ_API_KEY", "JAMBONZ_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["api", "applications", "list"]) == 1
    assert "JAMBONZ_API_URL and JAMBONZ_API_KEY" in capsys.readouterr().err
    assert main(["api"]) == 0
    assert "phone-numbers" in capsys.readouterr().out


def test_provisioning_example_runs_against_prism(prism_url: str) -> None:
    from examples import rest_provision
    from jambonz_runtime.rest import JambonzClient

    env = {"JAMBONZ_API_URL": prism_url, "JAMBONZ_ACCOUNT_SID": ACCOUNT, "JAMBONZ_API_KEY": "k"}
    with JambonzClient(env=env) as client:
        numbers = client.phone_numbers.list()
        assert numbers, "Prism answers the listing with one sample number"
        sid = rest_provision.provision(client, numbers[0].number, "https://app.example.com/")
    assert sid


def test_readme_provisioning_snippet_runs_against_prism(
    prism_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    from pathlib import Path

    from jambonz_runtime.rest import JambonzClient

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## REST API: the whole of it", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README.md: no python block under the REST API section"
    env = {"JAMBONZ_API_URL": prism_url, "JAMBONZ_ACCOUNT_SID": ACCOUNT, "JAMBONZ_API_KEY": "k"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with JambonzClient() as client:
        sample = client.phone_numbers.list()[0].number  # what Prism answers with
    code = match[1].replace('"15085550100"', repr(sample))
    assert code != match[1], "the snippet no longer looks a number up"
    exec(compile(code, "README.md", "exec"), {})
