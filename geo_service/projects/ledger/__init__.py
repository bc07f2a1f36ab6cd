"""The ledger (台账) as a file: export to XLSX with Chinese headers, import from XLSX/CSV/GeoJSON.

Export → edit in Excel → import updates the projects named by 项目编号. Every cell is checked
first; a bad cell is reported by sheet, row and column and then nothing is written. Status
changes in the file follow the same lifecycle as the API. ``columns`` (the file's columns),
``reading`` (files to cells), ``cells`` (cell parsers), ``checks`` (rows to a plan or problems),
``importer`` (the write), ``export``.
"""

from geo_service.projects.ledger.columns import COLUMNS, DOMAIN_ZH, SHEET, Column
from geo_service.projects.ledger.export import export_ledger
from geo_service.projects.ledger.importer import import_ledger

__all__ = ["COLUMNS", "DOMAIN_ZH", "SHEET", "Column", "export_ledger", "import_ledger"]
