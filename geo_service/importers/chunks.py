"""Reading a large GIS file in chunks, so an import's memory stays bounded (1 000 000 parcels in
well under 1 GB): each chunk is a :class:`~.readers.Source` of at most ``size`` features whose
locations count from the start of the file ("feature 100 001"), so a problem names its row.

GeoPackage, Shapefile and FlatGeobuf are read by feature offset (pyogrio ``skip_features`` /
``max_features``); a file that fits in one chunk, a GeoJSON/KML (read whole by GDAL anyway) and a
boundary-point table come as one chunk, exactly as :func:`~.readers.read_source` reads them.

:func:`pieces` cuts the first chunk into pieces of growing size (5 000, 10 000, 20 000 …), each
checked and merged in turn, so the database starts writing while the rest is being checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pyogrio

from geo_service.errors import InvalidInput
from geo_service.importers.columns import header_map
from geo_service.importers.readers import (
    SHAPEFILE_ENCODINGS,
    Source,
    pick_layer,
    read_source,
)

#: features per chunk: ~125 MB of shapes, checks and staging at a time (two are in flight: one
#: merged by the database while the next is checked; 100 000 took 1 077 MB at 1 000 000 parcels)
CHUNK_FEATURES = 50_000
#: formats GDAL reads by offset without loading the whole file
SEEKABLE = {".gpkg", ".shp", ".fgb"}
#: the size of the first piece of the first chunk (then doubling): what is checked before the
#: database has anything to write
FIRST_PIECE = 5_000


def feature_count(path: Path, layer: str | None) -> int:
    """Features in the layer (-1 when the driver cannot tell without reading)."""
    try:
        return int(pyogrio.read_info(path, layer=layer)["features"])
    except pyogrio.errors.DataSourceError:
        return -1


def _shapefile_encoding(path: Path, display: str, notes: list[str]) -> str:
    """The text encoding of a Shapefile: its ``.cpg``, else the first that decodes chunk 1."""
    cpgs = (path.with_suffix(".cpg"), path.with_suffix(".CPG"))
    cpg = next((p for p in cpgs if p.exists()), None)
    if cpg is not None:
        enc = cpg.read_text(errors="replace").strip() or "UTF-8"
        notes.append(f"text encoding {enc} (from the .cpg)")
        return enc
    for enc in SHAPEFILE_ENCODINGS:
        try:
            pyogrio.read_dataframe(path, encoding=enc, max_features=CHUNK_FEATURES)
        except UnicodeDecodeError:
            continue
        notes.append(f"text encoding {enc} (detected; the Shapefile has no .cpg)")
        return enc
    raise InvalidInput(
        f"{display}: its text is neither UTF-8 nor GBK/GB18030; add a .cpg file naming the "
        "encoding (e.g. a .cpg containing 'GBK')"
    )


def read_chunks(
    path: Path,
    *,
    layer: str | None,
    display: str,
    extra: Mapping[str, list[str]] | None = None,
    size: int | None = None,
) -> Iterator[Source]:
    """The file as Sources of at most ``size`` (default :data:`CHUNK_FEATURES`) features each."""
    size = size or CHUNK_FEATURES
    suffix = path.suffix.lower()
    chosen = None if suffix == ".shp" else layer
    total = -1
    if suffix in SEEKABLE:
        if suffix != ".shp":
            chosen = pick_layer(path, layer, display)
        total = feature_count(path, chosen)
    if total <= size:
        yield read_source(path, layer=layer, display=display, extra=extra)
        return
    notes: list[str] = []
    encoding = None
    if suffix == ".shp":
        for side in (".shx", ".dbf"):
            if not any(path.with_suffix(s).exists() for s in (side, side.upper())):
                raise InvalidInput(
                    f"{display}: the Shapefile needs its {side} file beside it; "
                    "upload the .shp, .shx, .dbf and .prj together as one .zip"
                )
        encoding = _shapefile_encoding(path, display, notes)
    elif chosen:
        notes.append(f"layer {chosen!r}")
    notes.append(f"read in chunks of {size:,} features")
    for offset in range(0, total, size):
        try:
            gdf = pyogrio.read_dataframe(
                path, layer=chosen, encoding=encoding, skip_features=offset, max_features=size
            )
        except UnicodeDecodeError:
            raise InvalidInput(
                f"{display}: features from {offset + 1} on do not decode as {encoding}; "
                "add a .cpg file naming the encoding"
            ) from None
        cols = header_map([str(c) for c in gdf.columns if c != gdf.geometry.name], extra)
        yield Source(
            name=display,
            gdf=gdf,
            locations=[f"feature {offset + i + 1}" for i in range(len(gdf))],
            columns=cols,
            notes=notes if offset == 0 else [],
        )


def pieces(src: Source, first: int | None = None) -> Iterator[Source]:
    """``src`` in pieces of ``first`` (default :data:`FIRST_PIECE`), then twice as many each time;
    their locations stay those of the file. A boundary-point table stays whole."""
    first = first or FIRST_PIECE
    n = len(src.gdf)
    if src.table or n <= first:
        yield src
        return
    start, size = 0, first
    while start < n:
        stop = min(n, start + size)
        yield Source(
            name=src.name,
            gdf=src.gdf.iloc[start:stop].reset_index(drop=True),
            locations=src.locations[start:stop],
            columns=src.columns,
            notes=src.notes if start == 0 else [],
            problems=src.problems if start == 0 else [],
        )
        start, size = stop, size * 2
