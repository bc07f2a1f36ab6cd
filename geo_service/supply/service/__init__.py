"""Supply in the database, by job:

* ``store``   — the tables as rows: the day judged (``today``, ``judging_day``), a parcel's row
  and events, the effective history (``effective``), JSON conversions, the projects on a parcel;
* ``record``  — writing: check and append one event with its audit line (``record_event``),
  keep the register's ``supply_stage`` in step (``sync_stage``), the demo's histories
  (``replace_demo_events``);
* ``answers`` — one parcel: ``judge`` (deadlines, idle status, commitments as of a day),
  ``speeds`` and the API's answer (``parcel_supply``, internal or public);
* ``check``   — every parcel: the daily check (``check_all``) and the 亩均 grades (``grades``).

The rules that flag defects and contradictions are in ``geo_service.supply.findings``.
Import the public names from here (``from geo_service.supply import service``).
"""

from geo_service.supply.service.answers import (
    PUBLIC_STAGES,
    SPEEDS,
    judge,
    parcel_supply,
    public_stage,
    speeds,
)
from geo_service.supply.service.check import check_all, grades
from geo_service.supply.service.record import (
    DATA_FIELDS,
    PAUSABLE,
    record_event,
    replace_demo_events,
    sync_stage,
)
from geo_service.supply.service.store import effective, projects_on, today

__all__ = [
    "DATA_FIELDS",
    "PAUSABLE",
    "PUBLIC_STAGES",
    "SPEEDS",
    "check_all",
    "effective",
    "grades",
    "judge",
    "parcel_supply",
    "projects_on",
    "public_stage",
    "record_event",
    "replace_demo_events",
    "speeds",
    "sync_stage",
    "today",
]
