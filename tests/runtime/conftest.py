"""``async def`` tests here are run by the jambonz-typed pytest plugin (tests/conftest.py).

It runs each in a fresh event loop, bounded by ``jambonz_test_timeout`` (pyproject).
"""
