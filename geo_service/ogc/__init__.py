"""OGC API – Features (Parts 1–4) and OGC API – Tiles over the register, for GIS clients.

Plain functions, no HTTP: ``crs`` (CRS URIs, axis order), ``collections`` (the six collections,
their fields and who sees them), ``features`` (queries), ``cql`` (CQL2 → SQLAlchemy, whitelisted),
``params`` (strict query-parameter parsing, 400 on anything unknown), ``links``, ``openapi`` (the
3.0.3 document) and ``tiles`` (tile matrix sets). The routes live in ``api/routes/ogc.py``.
"""
