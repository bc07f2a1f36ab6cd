"""HTML answers that are not maps: the sign-in form and a map page's error, in its language.

Used by the map routes and by the error handlers (which must not import routes)."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from geo_service.maps.layers import esc
from geo_service.maps.panels import panel

_LOGIN = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>geo_service</title>
<link rel="stylesheet" href="/static/gs-maps.css"></head><body class="gs-sheet">
<h1>登录 / Sign in</h1><p>{msg}</p>
<form method="post" action="/maps/login"><input type="hidden" name="next" value="{next}">
<label>API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">OK</button></form></body></html>"""
_LOGIN_CSP = "default-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'"


def safe_next(next_: str | None) -> str:
    if next_ and next_.startswith("/maps/") and "//" not in next_ and "\\" not in next_:
        return next_
    return "/maps/readiness"


def login_page(*, message: str = "", next_: str | None = None, status: int = 200) -> HTMLResponse:
    """The sign-in form; also what a browser sees instead of a bare 401/403 on a map page."""
    body = _LOGIN.format(msg=esc(message), next=esc(safe_next(next_)))
    headers = {"Content-Security-Policy": _LOGIN_CSP, "Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return HTMLResponse(body, status_code=status, headers=headers)


_ERROR_TEXT = {
    "zh": ("无法显示地图", "返回地图（清除筛选）", "筛选条件有误"),
    "en": ("The map cannot be shown", "Back to the map (filters cleared)", "A filter is wrong"),
}
_ERROR_CSP = "default-src 'self'; script-src 'none'; frame-ancestors 'none'"


def map_error_page(*, path: str, lang: str, status: int, detail: str) -> HTMLResponse:
    """What a person sees when a map page refuses its filters: the reason, in the page, in the
    page's language, with a way back (the same status code as the API would give)."""
    lang = "en" if lang == "en" else "zh"
    title, back, prefix = _ERROR_TEXT[lang]
    back_href = safe_next(path) + ("?lang=en" if lang == "en" else "")
    body = panel(
        "error",
        lang=lang,
        title=title,
        message=f"{prefix}：{detail}" if lang == "zh" else f"{prefix}: {detail}",
        back_href=back_href,
        back_label=back,
    )
    return HTMLResponse(
        body, status_code=status, headers={"Content-Security-Policy": _ERROR_CSP,
                                            "Cache-Control": "no-store"}
    )  # fmt: skip
