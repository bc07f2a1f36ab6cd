"""Supply clocks as data: the default rules of SUPPLY.md and their per-division overrides.

A rule says from which event (``anchor``) to which event (``target``) a period runs, how long
it is and in what unit, how it is counted, and where it comes from (``source``, ``article``,
``verified``). Overrides are keyed by administrative division code prefix: ``"41"`` (Henan),
``"4116"`` (Zhoukou), ``"411603"`` (淮阳区; 411626 was the code of 淮阳县 before 2019); the
longer prefix wins; a parcel's clocks use its county's code (``county_clocks``). Set them with
``GEO_SERVICE_SUPPLY__OVERRIDES='{"41": {"listing_period": {"unit": "calendar_days"}}}'``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

Unit = Literal["calendar_days", "working_days", "months", "years"]
UNITS: tuple[str, ...] = ("calendar_days", "working_days", "months", "years")


class Rule(BaseModel):
    """One clock: ``target`` must happen by (``kind='deadline'``) or not before
    (``kind='minimum'``) the day ``length`` ``unit`` after ``anchor``."""

    key: str
    label: str
    anchor: str
    target: str | None = None
    length: int | None = Field(default=None, ge=0)
    unit: Unit = "calendar_days"
    #: the period's length is a date carried by the anchor event (e.g. the contract's start_by)
    due_field: str | None = None
    kind: Literal["deadline", "minimum"] = "deadline"
    first_day_excluded: bool = True
    #: a deadline whose last day is a statutory holiday ends on the next day (民法典 art. 203)
    roll_over_holiday: bool = True
    #: whether a plain weekend counts as a holiday for that roll-over (unverified: a flag)
    roll_over_weekend: bool = True
    #: government-cause suspensions (闲置土地处置办法 art. 8) pause this clock
    pausable: bool = False
    source: str
    article: str | None = None
    verified: bool = False
    public: bool = False
    #: where the rule's values come from: "default" or the division prefix that overrode it
    origin: str = "default"

    @model_validator(mode="after")
    def _length_or_field(self) -> Rule:
        if self.length is None and self.due_field is None:
            raise ValueError(f"supply rule {self.key!r} needs a length or a due_field")
        return self


_LAW39 = "《招标拍卖挂牌出让国有建设用地使用权规定》(国土资源部令第39号)"
_DOC34 = "国土资发〔2010〕34号 §2; 财综〔2009〕74号"
_LAW53 = "《闲置土地处置办法》(国土资源部令第53号)"

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        key="notice_period",
        label="出让公告期 notice published → sale starts (≥ 20 days)",
        anchor="notice_published",
        target="sale_started",
        length=20,
        unit="calendar_days",
        kind="minimum",
        roll_over_holiday=False,
        source=_LAW39,
        article="art. 8 (number unverified)",
        public=True,
    ),
    Rule(
        key="listing_period",
        label="挂牌期 listing (≥ 10 working days, the stricter reading)",
        anchor="sale_started",
        target="sale_closed",
        length=10,
        unit="working_days",
        kind="minimum",
        roll_over_holiday=False,
        source=_LAW39,
        article="art. 18–19 (unverified)",
        public=True,
    ),
    Rule(
        key="deposit_refund",
        label="保证金退还 deposits refunded to the other bidders (≤ 5 working days)",
        anchor="sale_closed",
        length=5,
        unit="working_days",
        source=_LAW39,
        article="art. 21",
        verified=True,
    ),
    Rule(
        key="result_publication",
        label="结果公布 result published (≤ 10 working days after the sale)",
        anchor="sale_closed",
        target="result_published",
        length=10,
        unit="working_days",
        source=_LAW39,
        article="art. 22 (number unverified)",
        public=True,
    ),
    Rule(
        key="contract_signing",
        label="签订出让合同 contract signed (≤ 10 working days after the confirmation)",
        anchor="sale_closed",
        target="contract_signed",
        length=10,
        unit="working_days",
        due_field="contract_by",
        source=f"{_LAW39} art. 21; 国土资发〔2010〕34号 §2",
        article="written for housing land; industrial land: local practice, unverified for Henan",
    ),
    Rule(
        key="first_payment",
        label="首付款 first payment ≥ 50 % (1 month after the contract)",
        anchor="contract_signed",
        target="first_payment",
        length=1,
        unit="months",
        source=_DOC34,
        article="§2",
    ),
    Rule(
        key="full_payment",
        label="价款缴清 price paid in full (≤ 1 year after the contract)",
        anchor="contract_signed",
        target="price_paid",
        length=1,
        unit="years",
        source=_DOC34,
        article="§2",
    ),
    Rule(
        key="start_construction",
        label="开工 construction started by the contract's date",
        anchor="contract_signed",
        target="construction_started",
        due_field="start_by",
        roll_over_holiday=False,
        pausable=True,
        source="出让合同 (GF-2000 model contract art. 13; GF-2008-2601)",
        article="an extension must be asked 30 days before and adds ≤ 1 year",
    ),
    Rule(
        key="completion",
        label="竣工 completed by the contract's date",
        anchor="contract_signed",
        target="completed",
        due_field="complete_by",
        roll_over_holiday=False,
        pausable=True,
        source="国土资发〔2006〕83号; 出让合同",
        article="late: ‰ of the price per day",
    ),
    Rule(
        key="idle_1y",
        label="闲置满一年 idle one full year (fee 20 % of the price)",
        anchor="start_by",
        target="construction_started",
        length=1,
        unit="years",
        roll_over_holiday=False,
        pausable=True,
        source=_LAW53,
        article="art. 2, art. 14",
        verified=True,
    ),
    Rule(
        key="idle_2y",
        label="闲置满两年 idle two full years (recovery without compensation)",
        anchor="start_by",
        target="construction_started",
        length=2,
        unit="years",
        roll_over_holiday=False,
        pausable=True,
        source=_LAW53,
        article="art. 2, art. 14",
        verified=True,
    ),
)


class GradingConfig(BaseModel):
    """亩均论英雄: how enterprises in production are graded A/B/C/D each year."""

    #: "shares": by rank of the weighted score; "thresholds": by the score's value
    mode: Literal["shares", "thresholds"] = "shares"
    #: per-mu figures and their weights (a figure is the year's value ÷ the district's mean)
    weights: dict[Literal["tax_per_mu", "value_added_per_mu"], float] = {
        "tax_per_mu": 0.6,
        "value_added_per_mu": 0.4,
    }
    #: A top 25 %, B next 45 %, C next 25 %, D last 5 % (one published scheme)
    shares: dict[Literal["A", "B", "C", "D"], float] = {"A": 25, "B": 45, "C": 25, "D": 5}
    #: "thresholds": the least score for A, B and C (below C: D)
    thresholds: dict[Literal["A", "B", "C"], float] = {"A": 1.5, "B": 0.8, "C": 0.3}
    source: str = "浙政发〔2018〕5号 (亩均论英雄) pattern; Henan figures unverified"

    @model_validator(mode="after")
    def _sane(self) -> GradingConfig:
        if abs(sum(self.shares.values()) - 100) > 1e-6:
            raise ValueError("supply grading shares must add up to 100 (%)")
        if not self.weights or any(w < 0 for w in self.weights.values()):
            raise ValueError("supply grading weights must be ≥ 0, at least one")
        return self


class SupplyConfig(BaseModel):
    """Supply settings: the division whose overrides apply, the overrides, idle-land figures."""

    #: administrative division code of this service's county (淮阳区 411603 in the demo); a
    #: parcel's clocks use its own county's code (``supply.county_clocks``)
    division: str = "411603"
    #: division code prefix -> rule key -> fields to change (e.g. {"unit": "calendar_days"})
    overrides: dict[str, dict[str, dict[str, Any]]] = {}
    #: warn this many days before the one- and two-year idle marks
    idle_warning_days: list[int] = [90, 30]
    #: the idle-land fee as a share of the price (53号令 art. 14)
    idle_fee_share: float = Field(default=0.2, ge=0, le=1)
    #: trigger B of art. 2: started but developed share below this ...
    idle_developed_share: float = Field(default=1 / 3, ge=0, le=1)
    #: ... or investment share below this, and stopped for a full year
    idle_invested_share: float = Field(default=0.25, ge=0, le=1)
    #: 亩均 grades of enterprises in production
    grading: GradingConfig = GradingConfig()

    @model_validator(mode="after")
    def _overrides_valid(self) -> SupplyConfig:
        keys = {r.key for r in DEFAULT_RULES}
        for prefix, rules in self.overrides.items():
            if not prefix.isdigit() or len(prefix) not in (2, 4, 6):
                raise ValueError(
                    f"supply override key {prefix!r} must be a division code prefix of 2, 4 or "
                    "6 digits (province, city, county)"
                )
            for key, fields in rules.items():
                if key not in keys:
                    raise ValueError(
                        f"supply override {prefix}.{key}: unknown rule; use one of {sorted(keys)}"
                    )
                if "key" in fields:
                    raise ValueError(f"supply override {prefix}.{key} may not change the key")
        for prefix in self.overrides:
            self.rules_for(prefix)  # every merged rule must still be a valid rule
        return self

    def rules_for(self, division: str | None = None) -> list[Rule]:
        """The rules in force in ``division``: defaults, then province, city, county overrides."""
        code = division or self.division
        out = []
        for rule in DEFAULT_RULES:
            data = rule.model_dump()
            for n in (2, 4, 6):
                change = self.overrides.get(code[:n], {}).get(rule.key) if len(code) >= n else None
                if change:
                    data.update(change)
                    data["origin"] = code[:n]
            out.append(Rule.model_validate(data))
        return out
