#!/usr/bin/env bash
# Installs the OS packages geo_service needs on Debian/Ubuntu -- only those that are missing.
#
#   scripts/install-os-deps.sh [--with-browser] [--with-gdal]
#
# Always:          PostgreSQL server binaries + PostGIS 3 for the installed PostgreSQL major
#                  (Debian 12: postgresql-15-postgis-3).
# --with-browser:  chromium, fonts-noto-cjk and poppler-utils (browser tests; Chinese glyphs in
#                  screenshots and PDFs; pdfinfo/pdftotext/pdftoppm read printed pages back).
# --with-gdal:     gdal-bin (ogr2ogr, benchmarks).
#
# Idempotent and cheap when nothing is missing (file checks only; no apt-get update, no sudo).
# Uses sudo when not root. Runs `apt-get update` only when something must be installed.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

with_browser=0
with_gdal=0
for arg in "$@"; do
    case "$arg" in
        --with-browser) with_browser=1 ;;
        --with-gdal) with_gdal=1 ;;
        -h | --help)
            sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install-os-deps: unknown option '$arg' (known: --with-browser, --with-gdal)" >&2
            exit 2
            ;;
    esac
done

log() { echo "install-os-deps: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Highest PostgreSQL major whose server binaries are installed (Debian layout), or empty.
pg_major() {
    local ctl major best=""
    for ctl in /usr/lib/postgresql/*/bin/pg_ctl; do
        [ -x "$ctl" ] || continue
        major="${ctl#/usr/lib/postgresql/}"
        major="${major%%/*}"
        case "$major" in *[!0-9]* | "") continue ;; esac
        if [ -z "$best" ] || [ "$major" -gt "$best" ]; then best="$major"; fi
    done
    echo "$best"
}

has_postgis() { [ -f "/usr/share/postgresql/$1/extension/postgis.control" ]; }
has_chromium() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }
has_gdal() { command -v ogr2ogr >/dev/null 2>&1; }
has_poppler() { command -v pdftoppm >/dev/null 2>&1; }
has_cjk_font() { [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; }

# --- decide what is missing (no root, no network needed for this part) ---
missing=()
major="$(pg_major)"
need_server=0
if [ -z "$major" ]; then
    need_server=1
elif ! has_postgis "$major"; then
    missing+=("postgresql-$major-postgis-3")
fi
if [ "$with_browser" = 1 ] && ! has_chromium; then missing+=(chromium); fi
if [ "$with_browser" = 1 ] && ! has_cjk_font; then missing+=(fonts-noto-cjk); fi
if [ "$with_browser" = 1 ] && ! has_poppler; then missing+=(poppler-utils); fi
if [ "$with_gdal" = 1 ] && ! has_gdal; then missing+=(gdal-bin); fi

if [ "$need_server" = 0 ] && [ "${#missing[@]}" = 0 ]; then
    exit 0 # everything present
fi

# --- something must be installed ---
command -v apt-get >/dev/null 2>&1 ||
    die "this is not a Debian/Ubuntu system (no apt-get). Install PostgreSQL >= 14 with PostGIS 3$(
        [ "$with_browser" = 1 ] && echo ', chromium')$([ "$with_gdal" = 1 ] && echo ', gdal (ogr2ogr)') yourself, or set GEO_SERVICE_DATABASE_URL to an existing PostGIS."

if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
    log "not root: using sudo to install packages"
else
    die "installing OS packages needs root: run this as root, or install sudo and give your user sudo rights."
fi

# Wait for a concurrent apt/dpkg (e.g. unattended-upgrades) instead of failing at once.
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600)

log "apt-get update"
"${APT[@]}" update

if [ "$need_server" = 1 ]; then
    log "installing postgresql (server binaries)"
    "${APT[@]}" install --no-install-recommends postgresql
    major="$(pg_major)"
    [ -n "$major" ] || die "postgresql was installed but no /usr/lib/postgresql/<major>/bin/pg_ctl was found"
    if ! has_postgis "$major"; then missing=("postgresql-$major-postgis-3" "${missing[@]}"); fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    "${APT[@]}" install --no-install-recommends "${missing[@]}"
fi

# --- verify ---
has_postgis "$major" ||
    die "PostGIS is still missing: /usr/share/postgresql/$major/extension/postgis.control not found (package postgresql-$major-postgis-3)"
if [ "$with_browser" = 1 ] && ! has_chromium; then die "chromium is still missing after installing it"; fi
if [ "$with_gdal" = 1 ] && ! has_gdal; then die "ogr2ogr is still missing after installing gdal-bin"; fi
log "done: PostgreSQL $major with PostGIS$([ "$with_browser" = 1 ] && echo ', chromium')$([ "$with_gdal" = 1 ] && echo ', gdal-bin')"
