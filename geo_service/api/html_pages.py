"""HTML answers that are not maps: the sign-in form and a map page's error, in its language.

Used by the map routes and by the error handlers (which must not import routes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

from geo_service.maps.layers import esc
from geo_service.maps.panels import panel

_LOGIN = """<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">
<title>登录 geo_service</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/gs-maps.css"></head>
<body class="gs-sheet"><h1>登录 / Sign in</h1><p>{why}</p><p><small>{msg}</small></p>
<form method="post" action="/maps/login"><input type="hidden" name="next" value="{next}">
<label>令牌 / API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">登录 / Sign in</button></form>
<p><small>令牌由系统管理员发放 / tokens come from the administrator:
geo-service token create --role bureau|official --name 姓名</small></p>
</body></html>"""
_WHY = {
    200: "",
    401: "此页面需要登录：请输入自然资源局或领导干部的令牌。"
    " This page needs a bureau or official token.",
    403: "您的令牌无权查看此页面。 Your token's role may not open this page.",
}
_LOGIN_CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def safe_next(next_: str | None) -> str:
    if next_ and next_.startswith("/maps/") and "//" not in next_ and "\\" not in next_:
        return next_
    return "/maps/readiness"


def login_page(*, message: str = "", next_: str | None = None, status: int = 200) -> HTMLResponse:
    """The sign-in form; also what a browser sees instead of a bare 401/403 on a map page."""
    why = _WHY.get(status, "")
    body = _LOGIN.format(why=esc(why), msg=esc(message), next=esc(safe_next(next_)))
    headers = {"Content-Security-Policy": _LOGIN_CSP, "Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return HTMLResponse(body, status_code=status, headers=headers)


_ERROR_TEXT = {
    "zh": ("无法显示地图", "返回地图", "筛选条件有误"),
    "en": ("The map cannot be shown", "Back to the map", "A filter is wrong"),
}
# img-src data: for the page's empty icon (<link rel="icon" href="data:,">: no /favicon.ico request)
_ERROR_CSP = "default-src 'self'; img-src 'self' data:; script-src 'none'; frame-ancestors 'none'"


def validation_text(errors: list[dict[str, Any]], words: Mapping[str, Any], lang: str) -> str:
    """Request validation errors in the page's language: "最小面积（亩）：应填数字"."""
    labels, phrases = words.get("param_labels", {}), words.get("validation_words", {})
    colon = "：" if lang == "zh" else ": "
    parts = []
    for err in errors:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body")]
        name = loc[-1] if loc else ""
        label = (labels.get(name) or {}).get(lang) or name
        phrase = (phrases.get(err.get("type", "")) or {}).get(lang)
        ctx = {k: v for k, v in (err.get("ctx") or {}).items()}
        if lang == "zh" and isinstance(ctx.get("expected"), str):  # "'a', 'b' or 'c'"
            ctx["expected"] = ctx["expected"].replace(" or ", "、").replace(", ", "、")
        try:
            text = phrase.format(**ctx) if phrase else str(err.get("msg", ""))
        except (KeyError, IndexError):
            text = str(err.get("msg", ""))
        parts.append(f"{label}{colon}{text}")
    return ("；" if lang == "zh" else "; ").join(parts)


def map_error_page(
    *, path: str, lang: str, status: int, detail: str, keep: Mapping[str, str] | None = None
) -> HTMLResponse:
    """What a person sees when a map page refuses its filters: the reason, in the page, in the
    page's language, and a link back that keeps the filters that were fine (same status code as
    the API would give)."""
    lang = "en" if lang == "en" else "zh"
    title, back, prefix = _ERROR_TEXT[lang]
    q = {k: v for k, v in (keep or {}).items() if v not in (None, "")}
    if lang == "en":
        q["lang"] = "en"
    back_href = safe_next(path) + (f"?{urlencode(q)}" if q else "")
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
