"""Build-time code generator: vendored jambonz JSON Schemas -> ``jambonz_types``.

Nothing under ``src/`` imports this package; it only writes ``src/jambonz_types``.
Run ``python -m codegen`` to regenerate, ``python -m codegen --check`` to prove the
committed output is exactly what the schemas and this generator produce.
"""
