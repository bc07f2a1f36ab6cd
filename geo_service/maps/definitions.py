"""Map definitions as data: layers, colours, legends, popup fields and labels live in ``maps/``.

Each map has one file ``maps/<name>.json``; ``maps/common.json`` holds the labels
shared by all maps. A colour or a label changes by editing those files, never Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo_service.errors import ConfigurationError

MAP_NAMES: tuple[str, ...] = ("readiness", "investors", "projects", "supply")
LANGS: tuple[str, ...] = ("zh", "en")


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigurationError(
            f"map definition {path} cannot be read ({e.strerror}); "
            "restore it from the repository or set GEO_SERVICE_MAPS_DIR"
        ) from None
    try:
        data = json.loads(text)
    except Exception as e:  # noqa: BLE001 - any parse error is the file's fault
        raise ConfigurationError(f"map definition {path} is not valid: {e}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"map definition {path} must hold an object at the top level")
    return data


def _find(directory: Path, name: str) -> Path:
    p = directory / f"{name}.json"
    if p.exists():
        return p
    raise ConfigurationError(
        f"no map definition {name}.json in {directory}; "
        "restore it from the repository or set GEO_SERVICE_MAPS_DIR"
    )


@dataclass(frozen=True)
class MapDefinition:
    """One map's definition merged with the common labels, read in one language."""

    name: str
    lang: str
    data: dict[str, Any]
    common: dict[str, Any]

    def join(self, items: Any) -> str:
        """Words of a list as this language writes one: 通水、通电 / water, power."""
        return ("、" if self.lang == "zh" else ", ").join(str(x) for x in items)

    def text(self, entry: Any, default: str = "") -> str:
        """The label of a ``{"zh": .., "en": ..}`` entry in this language."""
        if isinstance(entry, dict):
            return str(entry.get(self.lang) or entry.get("zh") or default)
        if isinstance(entry, str):
            return entry
        return default

    def label(self, key: str) -> str:
        """A label from this map's ``labels`` or the common ``labels``, else the key itself."""
        own = self.data.get("labels", {})
        if key in own:
            return self.text(own[key], key)
        return self.text(self.common.get("labels", {}).get(key), key)

    def vocab(self, group: str, key: str | None) -> str:
        """A vocabulary word (``conditions``, ``supply_stages``, …) in this language."""
        if key is None:
            return ""
        table = self.data.get(group) or self.common.get(group) or {}
        return self.text(table.get(key), key)

    def phrase(self, key: str, **values: Any) -> str:
        """A sentence from the common ``explain`` phrases, filled in (values raw, not escaped)."""
        entry = self.common.get("explain", {}).get(key)
        if entry is None:
            raise ConfigurationError(f"maps/common.json has no explain phrase {key!r}")
        return self.text(entry).format(**values)

    def explain_word(self, group: str, key: Any) -> str:
        """A word from an ``explain`` vocabulary (ownership, protected kinds, …); else the key."""
        table = self.common.get("explain", {}).get(group, {})
        return self.text(table.get(str(key)), str(key))

    def section(self, key: str) -> Any:
        if key not in self.data:
            raise ConfigurationError(f"map definition {self.name!r} has no {key!r} entry")
        return self.data[key]

    @property
    def title(self) -> str:
        return self.text(self.data.get("title"), self.name)


def load_definition(directory: Path, name: str, lang: str = "zh") -> MapDefinition:
    """Read ``<directory>/<name>.json|yaml`` and ``common``; ``lang`` is zh (default) or en."""
    if name not in MAP_NAMES:
        raise ConfigurationError(f"unknown map {name!r}; the maps are {', '.join(MAP_NAMES)}")
    if lang not in LANGS:
        from geo_service.errors import InvalidInput

        raise InvalidInput(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    common = _load(_find(directory, "common"))
    return MapDefinition(name=name, lang=lang, data=_load(_find(directory, name)), common=common)
