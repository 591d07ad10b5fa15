"""Fixtures of the REST suite: Prism serving the effective API spec (see prism.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of Prism mocking the effective REST API spec (see prism.py)."""
    from .prism import install_prism, prism_server

    prism = install_prism()
    if prism is None:
        pytest.skip("npm is not on PATH: cannot install @stoplight/prism-cli for the REST suite")
    with prism_server(prism, tmp_path_factory.mktemp("prism")) as url:
        yield url
