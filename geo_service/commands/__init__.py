"""The CLI's command groups, one module per domain, each with ``register(app)`` (cli.py finds
them); this package module holds what they share: the consoles, ``friendly_errors`` (what went wrong
and how to fix it, no stack traces), the command's settings and its database engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from geo_service.errors import GeoServiceError
from geo_service.settings import Settings, get_settings

out = Console()
err = Console(stderr=True)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print what went wrong and how to fix it, exit non-zero; no stack traces."""
    from pydantic import ValidationError
    from sqlalchemy import exc as sa_exc

    from geo_service.db.cluster import ClusterError

    try:
        yield
    except GeoServiceError as e:
        err.print(f"[red]error:[/red] {e.public}", highlight=False)
        for p in e.extra.get("problems", [])[:200]:
            err.print(f"  - {p}", highlight=False)
        raise typer.Exit(1) from None
    except ClusterError as e:
        err.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(1) from None
    except ValidationError as e:
        err.print(f"[red]configuration error:[/red] {e}", highlight=False)
        raise typer.Exit(2) from None
    except sa_exc.OperationalError as e:
        err.print(
            "[red]error:[/red] cannot reach the database "
            f"({str(e.orig).splitlines()[0] if e.orig else type(e).__name__}); "
            "start it with `geo-service db up` or check GEO_SERVICE_DATABASE_URL",
            highlight=False,
        )
        raise typer.Exit(1) from None
    except sa_exc.DBAPIError as e:
        reason = str(e.orig).splitlines()[0] if e.orig else type(e).__name__
        err.print(f"[red]error:[/red] the database refused the change: {reason}", highlight=False)
        raise typer.Exit(1) from None


def load_settings() -> Settings:
    with friendly_errors():
        return get_settings()


def open_engine(settings: Settings) -> Any:
    """The database of the command; its schema brought up to date first when the role may."""
    from geo_service.db.engine import make_engine
    from geo_service.db.migrate import ensure_current

    engine = make_engine(settings)
    ensure_current(engine)  # a failure shows up as the command's own clear error
    return engine
