"""Counties: several counties and districts of one city on one service (issue 14).

* ``models``: the ``counties`` table and the ``county`` column of every register table;
* ``scope``: the county wall: how a request is scoped to one county (one rule, enforced by the
  database's row-level security, see migration 0006_counties);
* ``service``: reading counties, their boundaries and their rules.
"""
