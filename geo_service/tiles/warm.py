"""Warm-up at start: the first tile a fresh worker serves should cost what every other one does."""

from __future__ import annotations

import logging

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from geo_service.audit import ApiToken
from geo_service.maps import data
from geo_service.tiles import queries
from geo_service.tiles.cache import data_version

log = logging.getLogger("geo_service.tiles")


def warm_up(factory: sessionmaker[Session]) -> None:
    """Run the statements of a tile request once (an empty tile); never fails the start."""
    where, params = data.readiness_where(data.ReadinessFilter())
    z, x, y = queries.WARM
    try:
        with factory() as s, s.begin():
            s.execute(select(ApiToken.id).where(ApiToken.token_hash == "-")).first()
            data_version(s)
            s.execute(text(queries.TUNE))
            for public in (False, True):
                s.execute(
                    text(
                        queries.parcel_tile_sql("p.published" if public else where, public=public)
                    ),
                    {"z": z, "x": x, "y": y, **params},
                ).scalar()
    except SQLAlchemyError as e:  # the database may be down or not migrated yet: /readyz says so
        log.info("tile warm-up skipped: %s", type(e).__name__)
