"""Everything in ``procedures`` that writes."""

from .catalogue import (
    ImportResult,
    budget_problem,
    catalogue_export,
    catalogue_import,
)
from .demo import demo_seed
from .directory import (
    agency_ensure,
    centre_open,
    officer_upsert,
    officers_import,
    parse_sessions,
    roles_sync,
    unit_ensure,
    validate_office_hours,
)
from .divisions import commune_code, divisions_load, province_code

__all__ = [
    "ImportResult",
    "agency_ensure",
    "budget_problem",
    "catalogue_export",
    "catalogue_import",
    "centre_open",
    "commune_code",
    "demo_seed",
    "divisions_load",
    "officer_upsert",
    "officers_import",
    "parse_sessions",
    "province_code",
    "roles_sync",
    "unit_ensure",
    "validate_office_hours",
]
