"""Land supply and performance: dated events, statutory clocks, idle land, commitments.

``config`` (rules as data) is imported by ``geo_service.settings``, so this package's
``__init__`` imports nothing.
"""
