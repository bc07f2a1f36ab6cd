"""The ledger's tables around the projects: rounds, monthly investment reports, funding,
milestones, visits and problems."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from tools.demo.common import SEED, TODAY, YEAR, fmt_money, iso, rand_date, split_decimal
from tools.demo.project_design import ROUND_DATES, STARTED, Project

# ---------------------------------------------------------------- ledger tables


def build_rounds(projects: list[Project]) -> list[dict[str, str]]:
    """Round membership: events that fall on a round date."""
    rows = []
    for p in projects:
        for lst, d in (
            ("signed", p.signed_on),
            ("started", p.actual_start),
            ("in_production", p.in_production_on),
        ):
            if d in ROUND_DATES:
                n = ROUND_DATES.index(d) + 1
                rows.append(
                    {"project_code": p.code, "round_no": str(n), "round_date": d.isoformat(),
                     "list": lst}
                )  # fmt: skip
    rows.sort(key=lambda r: (r["round_no"], r["list"], r["project_code"]))
    return rows


def month_starts(a: dt.date, b: dt.date) -> list[dt.date]:
    """First days of the months from a's month to b's month."""
    out, cur = [], dt.date(a.year, a.month, 1)
    while cur <= b:
        out.append(cur)
        cur = dt.date(cur.year + cur.month // 12, cur.month % 12 + 1, 1)
    return out


def build_investment_reports(projects: list[Project]) -> list[dict[str, str]]:
    """Monthly completed investment summing exactly to completed_wan."""
    rng = random.Random(f"{SEED}:reports")
    rows = []
    for p in projects:
        if p.completed <= 0 or p.actual_start is None:
            continue
        end = min(p.actual_completion or TODAY, TODAY)
        months = month_starts(max(p.actual_start, dt.date(YEAR, 1, 1)), end)
        parts = split_decimal(rng, p.completed, [rng.uniform(0.5, 1.5) for _ in months])
        for m, v in zip(months, parts, strict=True):
            assert v >= 0
            rows.append(
                {"project_code": p.code, "month": m.isoformat(), "completed_wan": fmt_money(v)}
            )
    return rows


FUNDING = {
    "infrastructure": (("special_bond", 0.55), ("central_budget", 0.2), ("self_funded", 0.25)),
    "livelihood": (("special_bond", 0.5), ("central_budget", 0.3), ("self_funded", 0.2)),
    "industrial_transformation": (("self_funded", 0.85), ("enterprise_upgrade", 0.15)),
    "green_low_carbon": (("self_funded", 0.6), ("ppp", 0.3), ("central_budget", 0.1)),
    "innovation": (("self_funded", 0.6), ("enterprise_upgrade", 0.25), ("central_budget", 0.15)),
}


def build_funding(projects: list[Project]) -> list[dict[str, str]]:
    """Funding sources per project summing to the total investment."""
    rng = random.Random(f"{SEED}:funding")
    rows = []
    for p in projects:
        sources = list(FUNDING[p.domain])
        if p.domain == "infrastructure" and rng.random() < 0.2:
            sources[-1] = ("ppp", 0.25)
        if p.domain == "industrial_transformation" and rng.random() < 0.4:
            sources = [("self_funded", 1.0)]
        weights = [w * rng.uniform(0.6, 1.4) for _, w in sources]
        parts = split_decimal(rng, p.total, weights)
        for (src, _w), amount in zip(sources, parts, strict=True):
            assert amount > 0
            rows.append({"project_code": p.code, "source": src, "amount_wan": fmt_money(amount)})
    return rows


MILESTONES = {
    "industrial_transformation": ("土地摘牌", "施工许可", "主体封顶", "设备安装", "竣工投产"),
    "infrastructure": ("方案批复", "施工许可", "主体工程完工", "竣工验收"),
    "livelihood": ("施工许可", "主体封顶", "竣工验收"),
    "green_low_carbon": ("备案核准", "施工许可", "设备安装", "并网投运"),
    "innovation": ("施工许可", "主体封顶", "设备安装", "竣工投用"),
}


def build_milestones(projects: list[Project]) -> list[dict[str, str]]:
    """Milestones planned backwards from planned_completion for ~100 projects."""
    rng = random.Random(f"{SEED}:milestones")
    started = [p for p in projects if p.status in STARTED]
    signed = [p for p in projects if p.status == "signed"]
    chosen = set(id(p) for p in rng.sample(started, 90) + rng.sample(signed, 10))
    last = TODAY - dt.timedelta(days=1)
    rows = []
    for p in projects:
        if id(p) not in chosen:
            continue
        assert p.planned_start and p.planned_completion
        names = MILESTONES[p.domain]
        n = len(names)
        span = (p.planned_completion - p.planned_start).days
        step = max(10, min(60, span // (n - 1)))
        dues = [p.planned_completion - dt.timedelta(days=step * (n - 1 - k)) for k in range(n)]
        done_n = {
            "signed": 1 if p.domain == "industrial_transformation" else 0,
            "started": min(2, n - 2),
            "under_construction": rng.randint(2, n - 2) if n > 3 else 1,
            "completed": n - 1 if p.domain == "industrial_transformation" else n,
            "in_production": n,
        }[p.status]
        prev = p.signed_on or dt.date(YEAR, 1, 1)
        permit = names.index("施工许可")
        for k, (name, due) in enumerate(zip(names, dues, strict=True)):
            done = None
            if k < done_n:
                if k == n - 1 and p.in_production_on:
                    done = p.in_production_on
                elif k == n - 1 and p.actual_completion:
                    done = p.actual_completion
                else:
                    upper = p.actual_completion or last
                    if k <= permit and p.actual_start:
                        upper = p.actual_start
                    done = due + dt.timedelta(days=rng.randint(-10, 25))
                    done = max(prev, min(upper, done))
                prev = max(prev, done)
            rows.append(
                {"project_code": p.code, "seq": str(k + 1), "name": name, "due_on": due.isoformat(),
                 "done_on": iso(done)}
            )  # fmt: skip
    return rows


VISIT_NOTES = (
    "现场调度施工进度,督促加快主体施工。",
    "听取项目进展汇报,协调要素保障。",
    "查看设备安装情况,要求倒排工期。",
    "督导安全生产和文明施工。",
    "协调用工、用电等问题,明确责任单位。",
    "实地查看项目现场,推动尽快开工。",
)
PROBLEMS = (
    ("项目用地组卷报批进度慢,影响土地摘牌。", "区自然资源局", "已完成组卷上报,取得用地批复。"),
    ("施工临时用电未接通。", "国网淮阳区供电公司", "已架设临时变压器并送电。"),
    ("10kV专线接入方案未批复。", "国网淮阳区供电公司", "接入方案已批复,开始施工。"),
    ("项目贷款审批进度慢,资金缺口较大。", "区金融工作局", "已协调银行完成授信审批。"),
    ("施工许可证办理手续不全。", "区住建局", "已帮办补齐材料,取得施工许可证。"),
    ("环评批复尚未取得。", "市生态环境局淮阳分局", "已召开技术评审会,取得环评批复。"),
    ("用地范围内地上附着物未清表。", "经开区管委会", "已完成附着物清点补偿并清表。"),
    ("天然气管道未接入厂区。", "区城管局", "燃气公司已完成管道接入。"),
    ("项目用工短缺。", "区人社局", "已组织专场招聘会补充用工。"),
    ("进场道路未硬化,影响材料运输。", "区交通运输局", "已完成临时道路硬化。"),
)


def build_visits(projects: list[Project]) -> list[dict[str, Any]]:
    """Weekly leader visits, Sep–Nov 2026, for a subset of projects."""
    rng = random.Random(f"{SEED}:visits")
    cands = [p for p in projects if p.status in STARTED or p.late]
    chosen = sorted(rng.sample(cands, 45), key=lambda p: p.code)
    stale = set(id(p) for p in rng.sample(chosen, 12))
    rows: list[dict[str, Any]] = []
    for p in chosen:
        d = rand_date(rng, dt.date(YEAR, 9, 1), dt.date(YEAR, 9, 12))
        stop = (
            rand_date(rng, dt.date(YEAR, 10, 15), dt.date(YEAR, 11, 15))
            if id(p) in stale
            else TODAY - dt.timedelta(days=1)
        )
        dates = []
        while d <= stop:
            if rng.random() > 0.1:
                dates.append(d)
            d += dt.timedelta(days=7 + rng.randint(-1, 1))
        if id(p) not in stale and (not dates or dates[-1] < TODAY - dt.timedelta(days=7)):
            dates.append(rand_date(rng, TODAY - dt.timedelta(days=6), TODAY - dt.timedelta(days=1)))
        for d in dates:
            rows.append(
                {"project_code": p.code, "leader": p.leader, "visited_on": d,
                 "notes": rng.choice(VISIT_NOTES)}
            )  # fmt: skip
    rows.sort(key=lambda r: (r["visited_on"], r["project_code"]))
    assert len(rows) < 1000
    for i, row in enumerate(rows, start=1):
        row["code"] = f"DC-{i:03d}"
    return rows


def build_problems(projects: list[Project], visits: list[dict[str, Any]]) -> list[dict[str, str]]:
    """36 problems: 33 resolved, 3 in progress."""
    rng = random.Random(f"{SEED}:problems")
    by_code = {p.code: p for p in projects}
    nov = [v for v in visits if dt.date(YEAR, 11, 1) <= v["visited_on"] <= dt.date(YEAR, 11, 24)]
    open_visits = [nov[3], nov[len(nov) // 2], nov[-1]]
    others = [v for v in visits if v not in open_visits]
    found_visits = rng.sample(others, 27)
    items: list[tuple[dt.date, str, str, bool]] = []  # (found, project, visit, open)
    for v in open_visits:
        items.append((v["visited_on"], v["project_code"], v["code"], True))
    for v in found_visits:
        items.append((v["visited_on"], v["project_code"], v["code"], False))
    started = [p for p in projects if p.status in STARTED]
    for p in rng.sample(started, 6):
        assert p.actual_start
        lo = max(p.actual_start, dt.date(YEAR, 3, 10))
        items.append((rand_date(rng, lo, dt.date(YEAR, 8, 20)), p.code, "", False))
    items.sort(key=lambda t: (t[0], t[1], t[2]))
    rows = []
    late_resolved = 0
    n_open = 0
    for i, (found, code, visit, is_open) in enumerate(items, start=1):
        desc, unit, resolution = rng.choice(PROBLEMS)
        deadline = found + dt.timedelta(days=rng.randint(10, 30))
        resolved_on = None
        if is_open:
            n_open += 1
            if n_open == 1:
                deadline = found + dt.timedelta(days=10)  # already overdue
            else:
                deadline = dt.date(YEAR, 12, rng.randint(8, 20))
        else:
            over = late_resolved < 3 and rng.random() < 0.3
            late_resolved += over
            span = (deadline - found).days
            days = rng.randint(span + 2, span + 12) if over else rng.randint(2, span)
            resolved_on = min(found + dt.timedelta(days=days), TODAY - dt.timedelta(days=1))
        rows.append(
            {
                "code": f"WT-{i:03d}",
                "project_code": code,
                "description": desc,
                "found_on": found.isoformat(),
                "assignee_unit": unit,
                "assignee_leader": by_code[code].leader,
                "deadline": deadline.isoformat(),
                "status": "in_progress" if is_open else "resolved",
                "resolved_on": iso(resolved_on),
                "resolution": "" if is_open else resolution,
                "visit_code": visit,
            }
        )
    return rows
