"""Configuration: environment variables with the ``GEO_SERVICE_`` prefix.

Nothing here is read at import time; call :func:`get_settings` (the CLI does) or build
:class:`Settings` yourself (tests do) and hand it to the code that needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo_service.supply.config import SupplyConfig

PROJECT_DIR = Path(__file__).resolve().parent.parent

CONDITIONS: tuple[str, ...] = ("water", "power", "road", "leveling", "title")


class NetworkRule(BaseModel):
    """One spatial readiness rule: an existing feature of ``kind`` within ``max_distance_m``."""

    kind: str
    max_distance_m: float = Field(gt=0, le=50_000)
    min_diameter_mm: float | None = Field(default=None, ge=0)
    min_voltage_kv: float | None = Field(default=None, ge=0)
    road_classes: list[str] | None = None


class ReadinessRules(BaseModel):
    """Thresholds of the net-land checks; configuration, not code."""

    water: NetworkRule = NetworkRule(kind="water", max_distance_m=200, min_diameter_mm=100)
    power: NetworkRule = NetworkRule(kind="power", max_distance_m=500, min_voltage_kv=10)
    road: NetworkRule = NetworkRule(kind="road", max_distance_m=50)
    max_evidence_age_days: int = Field(default=180, gt=0)
    #: overlap with another parcel smaller than this (m²) is taken as survey noise
    parcel_overlap_tolerance_m2: float = Field(default=0.5, ge=0)
    # readiness (issue 5): overlap with protected land above this (m²) fails title; 0.01 m²
    # only absorbs floating-point noise along shared edges, so a 1 m² overlap fails
    protected_overlap_tolerance_m2: float = Field(default=0.01, ge=0, le=100)
    required_assessments: list[str] = [
        "land_survey",
        "mineral_overlay",
        "geological_hazard",
        "energy_saving",
        "soil_water",
        "cultural_relics",
        "flood_impact",
        "seismic_safety",
        "climate",
        "environmental_impact",
    ]
    #: label -> the conditions it needs ("三通一平" and friends have no single national definition)
    labels: dict[str, list[str]] = {
        "三通一平": ["water", "power", "road", "leveling"],
        "净地": ["water", "power", "road", "leveling", "title"],
    }

    @model_validator(mode="before")
    @classmethod
    def _one_setting_changes_one_value(cls, data: Any) -> Any:
        """``GEO_SERVICE_READINESS__WATER__MAX_DISTANCE_M=300`` alone changes that distance and
        keeps the rest of the water rule (kind, diameter) at its default."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key in ("water", "power", "road"):
            given = out.get(key)
            if isinstance(given, dict):
                default = cls.model_fields[key].default
                out[key] = {**default.model_dump(), **given}
        return out

    @model_validator(mode="after")
    def _kinds_match(self) -> ReadinessRules:
        for key in ("water", "power", "road"):
            rule: NetworkRule = getattr(self, key)
            if rule.kind != key:
                raise ValueError(
                    f"GEO_SERVICE_READINESS__{key.upper()}__KIND must be {key!r}, not {rule.kind!r}"
                )
        for label, conds in self.labels.items():
            bad = [c for c in conds if c not in CONDITIONS]
            if bad:
                raise ValueError(
                    f"readiness label {label!r} names unknown condition(s) {bad}; "
                    f"use {list(CONDITIONS)}"
                )
        return self


# --- key-project ledger (projects/): slow and overdue rules, targets --------------------------


class ProjectRules(BaseModel):
    """Rules of the key-project ledger: when a project is slow or overdue, and the targets."""

    #: a project is behind when its completed investment trails the linear plan by more than this
    investment_behind_share: float = Field(default=0.2, gt=0, le=1)
    #: ... and red (not yellow) when it trails by more than this
    investment_behind_red_share: float = Field(default=0.5, gt=0, le=1)
    #: a milestone this many days overdue turns the project red (fewer: yellow)
    milestone_red_after_days: int = Field(default=30, ge=0)
    #: severity of each reason: "red" or "yellow"
    severity: dict[str, Literal["red", "yellow"]] = {
        "not_started": "red",
        "completion_overdue": "red",
        "investment_behind": "yellow",
        "milestone_overdue": "yellow",
        "problem_overdue": "red",
    }
    #: start-rate targets: month-day of the year -> minimum share of projects started (%)
    start_rate_targets: dict[str, float] = {"03-31": 50.0, "06-30": 80.0}
    #: investment attraction targets: minimum total investment (万元) -> projects this year
    attraction_targets: dict[int, int] = {10_000: 16, 100_000: 3}
    #: "not visited in the last N days"
    visit_interval_days: int = Field(default=7, ge=1)


class Settings(BaseSettings):
    """All settings of the service; see the README for each one."""

    model_config = SettingsConfigDict(
        env_prefix="GEO_SERVICE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str | None = None
    """Use this PostGIS instead of the project-local cluster."""
    db_port: int = Field(default=55432, ge=1024, le=65535)
    """Port of the project-local cluster."""
    db_pool_size: int = Field(default=5, ge=1, le=100)
    """Pooled connections per worker process (plus as many again as overflow)."""
    db_connect_timeout_s: int = Field(default=3, ge=1, le=60)
    db_pool_wait_s: float = Field(default=10.0, gt=0, le=300)
    """How long a request waits for a pooled connection before the answer is 503 "busy"."""
    tile_cache_mb: int = Field(default=64, ge=0, le=4096)
    """Per-process tile cache (0 turns it off); keyed by the database's data version."""
    tile_store_mb: int = Field(default=256, ge=0, le=65536)
    """Tiles shared by every worker in the database (tile_store; 0 turns it off): its bound."""
    tile_overview_max_zoom: int = Field(default=11, ge=-1, le=24)
    """At this zoom and below parcel tiles carry grid aggregates, not every polygon (-1: never)."""
    db_statement_timeout_ms: int = Field(default=60_000, ge=100)
    read_replica_url: str | None = None
    """Optional read replica for GET requests (docs/replica.md)."""
    read_replica_retry_s: float = Field(default=5.0, gt=0, le=3600)
    """After the replica fails to answer, reads go to the primary this long before trying it."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = "http://127.0.0.1:8000"

    demo_dir: Path = PROJECT_DIR / "data" / "demo"
    district_boundary: Path = PROJECT_DIR / "data" / "huaiyang-boundary.geojson"
    #: the city's name, for titles of the whole city when the service holds several counties
    city_name_zh: str = "周口市"
    city_name_en: str = "Zhoukou"

    max_page_size: int = Field(default=1000, ge=1, le=100_000)
    default_page_size: int = Field(default=100, ge=1)
    max_body_bytes: int = Field(default=5_000_000, ge=1024)
    max_upload_bytes: int = Field(default=200_000_000, ge=1024)
    max_vertices: int = Field(default=20_000, ge=4)
    # -- imports and exports (issue 4)
    import_column_aliases: dict[str, list[str]] = {}
    """Extra file headers per field, e.g. {"code": ["宗地代码"]}; they win over built-in ones."""
    district_tolerance_m: float = Field(default=50, ge=0)
    """A parcel may stick out of the district boundary by this much (survey vs. boundary data)."""
    export_chunk_rows: int = Field(default=20_000, ge=100)

    net_land_reserve_target_mu: float = Field(default=500, ge=0)
    readiness: ReadinessRules = ReadinessRules()

    #: fields of a parcel the public (investor) view may see
    public_parcel_fields: list[str] = [
        "code",
        "county",
        "name",
        "zone",
        "area_m2",
        "area_mu",
        "land_use",
        "industry",
        "supply_stage",
        "indicators",
        "contact",
        "net_land",
    ]

    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "© OpenStreetMap contributors"
    tianditu_key: str | None = None
    map_review_number: str | None = None
    """审图号 shown on public maps when set."""
    map_max_embedded_features: int = Field(default=2000, ge=1)
    # -- maps (issue 7): where the map definitions live (layers, colours, labels as data)
    maps_dir: Path = PROJECT_DIR / "maps"

    ledger_year: int | None = None
    """The year of the project ledger; default: the latest year in the database."""
    # key-project ledger (projects/)
    projects: ProjectRules = ProjectRules()
    # land supply (supply/): clocks as data, per-division overrides, idle-land figures
    supply: SupplyConfig = SupplyConfig()

    @field_validator("database_url", "read_replica_url")
    @classmethod
    def _sqlalchemy_driver(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if v.startswith("postgres://"):
            v = "postgresql://" + v[len("postgres://") :]
        if v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v[len("postgresql://") :]
        if not v.startswith("postgresql+psycopg://"):
            raise ValueError(
                "GEO_SERVICE_DATABASE_URL must be a PostgreSQL URL "
                "(postgresql://user:password@host:port/database)"
            )
        return v


Role = Literal["bureau", "official", "investor"]


def get_settings() -> Settings:
    """Read the settings from the environment (no caching: cheap, and tests need fresh ones)."""
    return Settings()
