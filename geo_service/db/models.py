"""Every mapped table, imported in one place for Alembic and the schema check."""

from geo_service.audit.models import ApiToken, AuditEvent, ImportRecord
from geo_service.counties.models import County
from geo_service.db.base import Base
from geo_service.parcels.models import (
    AssessmentArea,
    InfrastructureFeature,
    LevelingSurvey,
    Parcel,
    ProtectedArea,
    TitleRecord,
    Zone,
)
from geo_service.projects.models import (
    FundingSource,
    InvestmentReport,
    LedgerBaseline,
    Milestone,
    Problem,
    Project,
    ProjectRound,
    Visit,
)
from geo_service.readiness.models import (
    ConditionHistory,
    ConditionOverride,
    ParcelCondition,
    ReadinessRun,
)
from geo_service.supply.models import SupplyEvent

__all__ = [
    "ApiToken",
    "AssessmentArea",
    "AuditEvent",
    "Base",
    "ConditionHistory",
    "ConditionOverride",
    "County",
    "FundingSource",
    "ImportRecord",
    "InfrastructureFeature",
    "InvestmentReport",
    "LedgerBaseline",
    "LevelingSurvey",
    "Milestone",
    "ParcelCondition",
    "Parcel",
    "Problem",
    "Project",
    "ProjectRound",
    "ProtectedArea",
    "ReadinessRun",
    "SupplyEvent",
    "TitleRecord",
    "Visit",
    "Zone",
]
