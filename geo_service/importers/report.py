"""What an import found and did: the report (counts, codes, repairs, problems) and its words.

Also the small helpers that report wording needs: the file digest, GEOS reasons in plain words
and the geodesic area of a shape (for repairs).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import shapely
from pyproj import Geod

MAX_LISTED = 1000  # codes listed per category in a report
_GEOD = Geod(ellps="GRS80")  # CGCS2000 uses GRS80 (to 0.1 mm)


@dataclass
class ImportReport:
    kind: str
    file_name: str
    sha256: str
    dry_run: bool = False
    repair: bool = False
    crs: str = ""
    features: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    area_mu: float | None = None
    inserted_codes: list[str] = field(default_factory=list)
    updated_codes: list[str] = field(default_factory=list)
    unchanged_codes: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    import_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        s = (
            f"{self.file_name}: {self.features} {self.kind} feature(s); {self.inserted} {verb} "
            f"inserted, {self.updated} updated, {self.unchanged} unchanged"
        )
        if self.area_mu is not None:
            s += f"; {self.area_mu:,.2f} 亩 in the file"
        return s

    def lines(self) -> list[str]:
        out = [self.summary()]
        if self.crs:
            out.append(f"coordinates: {self.crs}")
        verb = "would be " if self.dry_run else ""
        for label, codes, n in (
            ("inserted", self.inserted_codes, self.inserted),
            ("updated", self.updated_codes, self.updated),
            ("unchanged", self.unchanged_codes, self.unchanged),
        ):
            if codes:  # the first 50 here; the API answer lists up to MAX_LISTED
                shown = codes[:50]
                more = f" … and {n - len(shown)} more" if n > len(shown) else ""
                out.append(f"{verb}{label}: {', '.join(shown)}{more}")
        out += [f"note: {n}" for n in self.notes]
        out += [f"repaired: {r}" for r in self.repairs]
        if self.dry_run:
            out.append("dry run: nothing was written")
        return out


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-\d.eE+]+) (?P<y>[-\d.eE+]+)\]$")


def explain(reason: str) -> str:
    """``Self-intersection[114.9 33.7]`` → ``self-intersection at 114.900000, 33.700000``."""
    m = _REASON.match(reason.strip())
    if not m:
        return reason.strip().lower()
    what = m.group("what").strip()
    return f"{what[0].lower()}{what[1:]} at {float(m.group('x')):.6f}, {float(m.group('y')):.6f}"


def geodesic_m2(geom: Any) -> float:
    """Area on the ellipsoid; rings oriented first so holes are subtracted, not added."""
    area, _ = _GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(float(area))


def rejected(report: ImportReport, problems: list[str]) -> str:
    return (
        f"{report.file_name}: {len(problems)} problem(s) found; nothing was written. "
        "Fix them and import again"
        + ("" if report.repair else " (invalid shapes can be fixed with --repair)")
    )


def extra(report: ImportReport, problems: list[str]) -> dict[str, Any]:
    report.problems = problems
    return {"problems": problems, "report": report.to_dict()}
