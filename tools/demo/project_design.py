"""The project ledger's fixed design: counts by domain and status, leaders, units, companies,
products, places, and the Project record with its naming."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from tools.demo.common import CN_NUM, H_NAMES, V_NAMES, YEAR, weighted

# ---------------------------------------------------------------- projects

DOMAIN_COUNTS = (
    ("innovation", 22),
    ("infrastructure", 52),
    ("industrial_transformation", 101),
    ("green_low_carbon", 28),
    ("livelihood", 44),
)
STATUS_COUNTS = (
    ("planned", 50),
    ("signed", 61),
    ("started", 36),
    ("under_construction", 64),
    ("completed", 16),
    ("in_production", 20),
)
STARTED = ("started", "under_construction", "completed", "in_production")
LEADERS = (
    "李明华(区长)", "张志强(区委常委、常务副区长)", "王建国(副区长)", "陈晓东(副区长)",
    "吴海涛(副区长)", "郑红梅(副区长)", "黄振宇(副区长)", "林晓燕(副区长)",
    "赵立新(区委常委、组织部部长)", "孙卫东(区委常委、宣传部部长)",
    "周文斌(区委常委、政法委书记)", "许长江(区委常委、统战部部长)",
    "罗建华(区委常委、经开区管委会主任)", "杨志刚(经开区党工委副书记)",
    "冯建军(区人大常委会副主任)", "朱立平(区人大常委会副主任)", "宋德明(区人大常委会副主任)",
    "何国庆(区政协副主席)", "高永胜(区政协副主席)", "韩志国(区政协副主席)",
)  # fmt: skip
UNITS = {
    "industrial_transformation": ("区工信局", "经开区管委会", "区商务局", "区发改委"),
    "infrastructure": ("区交通运输局", "区住建局", "区水利局", "区城管局", "区发改委"),
    "livelihood": ("区教体局", "区卫健委", "区民政局", "区住建局", "区人社局"),
    "green_low_carbon": ("区发改委", "市生态环境局淮阳分局", "区城管局"),
    "innovation": ("区科技局", "区工信局", "经开区管委会"),
}
COMPANY_A = (
    "豫淮", "华塑", "龙湖", "羲皇", "宛丘", "陈州", "中原", "恒通", "鑫源", "金泰", "瑞丰",
    "盛达", "新宇", "天润", "嘉禾", "博越", "永兴", "联创", "振华", "佳美", "汇丰", "东盛",
)  # fmt: skip
COMPANY_B = {
    "塑料制品": ("塑业", "管业", "新材料"),
    "装备制造": ("机械", "智能装备", "重工"),
    "食品加工": ("食品", "农业科技", "食业"),
    "新材料": ("新材料", "科技", "材料"),
    "电子信息": ("电子", "科技", "光电"),
    "纺织服装": ("纺织", "服饰", "制衣"),
}
PRODUCTS = {
    "塑料制品": ("PVC管材", "PE燃气管", "PPR管件", "塑料薄膜", "改性塑料颗粒", "塑料包装制品"),
    "装备制造": ("农业机械", "智能仓储设备", "输送设备", "环保设备", "数控机床", "电动车零部件"),
    "食品加工": ("速冻食品", "面制品", "调味品", "肉制品", "休闲食品", "植物蛋白饮料"),
    "新材料": ("新型建材", "高分子材料", "功能性薄膜", "再生塑料", "碳纤维制品"),
    "电子信息": ("电子元器件", "线路板", "智能终端", "LED照明", "锂电池模组"),
    "纺织服装": ("针织面料", "功能性服装", "家纺产品"),
}
UNIT_OF = {
    "塑料制品": "万吨",
    "装备制造": "台(套)",
    "食品加工": "万吨",
    "新材料": "万吨",
    "电子信息": "万套",
    "纺织服装": "万件",
}
TOWNS = (
    "城关回族镇", "白楼镇", "朱集乡", "新站镇", "鲁台镇", "四通镇", "临蔡镇", "安岭镇", "刘振屯乡",
    "豆门乡", "冯塘乡", "曹河乡", "齐老乡", "郑集乡", "王店乡", "大连乡", "葛店乡", "黄集乡",
)  # fmt: skip
ROADS = ("羲皇大道", "太昊路", "龙都大道", "周淮路", "文正路", "八卦路", "弦歌路", "迎宾大道")
RIVERS = ("新蔡河", "流沙河", "黑河", "清水河", "东蔡河")
ROUND_DATES = (
    dt.date(YEAR, 1, 16),
    dt.date(YEAR, 4, 10),
    dt.date(YEAR, 7, 8),
    dt.date(YEAR, 10, 13),
)
REGIONS = ("大湾区", "长三角", "珠三角", "京津冀")


@dataclass
class Project:
    """One key project of the 2026 ledger."""

    domain: str
    code: str = ""
    name: str = ""
    industry: str = ""
    description: str = ""
    status: str = "planned"
    total: Decimal = Decimal(0)
    planned: Decimal = Decimal(0)
    completed: Decimal = Decimal(0)
    leader: str = ""
    unit: str = ""
    lon: float = 0.0
    lat: float = 0.0
    parcel_code: str = ""
    planned_start: dt.date | None = None
    actual_start: dt.date | None = None
    planned_completion: dt.date | None = None
    actual_completion: dt.date | None = None
    signed_on: dt.date | None = None
    in_production_on: dt.date | None = None
    attracted: bool = False
    region: str = ""
    giant: bool = False
    late: bool = False
    fixed_total: bool = False


def project_name(rng: random.Random, p: Project, used: set[str]) -> None:
    """Name, industry and description from the domain."""
    for _ in range(50):
        if p.domain == "industrial_transformation":
            ind = p.industry or weighted(
                rng,
                (("塑料制品", 5), ("装备制造", 4), ("食品加工", 3), ("新材料", 3),
                 ("电子信息", 2), ("纺织服装", 1)),
            )  # fmt: skip
            company = rng.choice(COMPANY_A) + rng.choice(COMPANY_B[ind])
            prod = rng.choice(PRODUCTS[ind])
            n = rng.choice((2, 3, 5, 6, 8, 10, 12, 15, 20, 30))
            if UNIT_OF[ind] == "台(套)":
                n *= 100
            kind = 0.9 if p.giant else rng.random()
            if kind < 0.6:
                name = f"{company}年产{n}{UNIT_OF[ind]}{prod}项目"
            elif kind < 0.85:
                name = f"{company}{prod}生产线智能化改造项目"
            else:
                name = f"{company}{prod}产业园项目"
            area = rng.choice((1.2, 2, 3.5, 5, 6.8, 8, 12))
            lines = rng.randint(2, 12)
            desc = f"新建生产车间、仓库及配套用房{area}万平方米,购置{prod}生产线{lines}条。"
        elif p.domain == "infrastructure":
            ind, name, desc = rng.choice(
                (
                    ("交通", f"{rng.choice(ROADS)}改建工程",
                     f"道路改建{rng.randint(2, 12)}.{rng.randint(0, 9)}公里,含雨污管网及照明。"),
                    ("市政", f"{rng.choice(TOWNS)}污水处理厂建设项目",
                     f"新建日处理{rng.choice((0.5, 1, 2, 3))}万吨污水处理厂及配套管网。"),
                    ("水利", f"{rng.choice(RIVERS)}{rng.choice(TOWNS)}段综合治理工程",
                     f"河道清淤疏浚{rng.randint(5, 30)}公里,新建堤防及生态护岸。"),
                    ("市政", f"{rng.choice(TOWNS)}城乡供水一体化工程",
                     f"新建供水管网{rng.randint(20, 120)}公里,覆盖{rng.randint(10, 40)}个行政村。"),
                    ("交通", f"{rng.choice(TOWNS)}农村公路提档升级工程",
                     f"改造农村公路{rng.randint(10, 60)}公里。"),
                    ("市政", f"城区{rng.choice(ROADS)}片区雨污分流改造工程",
                     f"改造雨污管网{rng.randint(5, 40)}公里。"),
                    ("能源", f"{rng.choice(TOWNS)}110kV输变电工程",
                     f"新建110kV变电站1座,主变容量{rng.choice((2, 3))}×50MVA。"),
                    ("交通", f"淮阳经开区{rng.choice(V_NAMES + H_NAMES)}道路及管网工程",
                     "新建城市次干路及给水、雨污、电力管沟。"),
                )
            )  # fmt: skip
        elif p.domain == "livelihood":
            town = rng.choice(TOWNS)
            wing = rng.choice(("门诊", "住院", "医技", "急救"))
            ind, name, desc = rng.choice(
                (
                    ("教育", f"{town}中心学校教学楼建设项目",
                     f"新建教学楼及附属用房{rng.randint(3, 12)}千平方米。"),
                    ("教育", f"淮阳区第{CN_NUM[rng.randint(0, 9)]}高级中学扩建项目",
                     f"新增学位{rng.randint(10, 30) * 100}个,建设教学楼、宿舍楼。"),
                    ("医疗卫生", f"{town}卫生院能力提升项目",
                     f"新建门诊综合楼{rng.randint(2, 8)}千平方米,购置医疗设备。"),
                    ("医疗卫生", f"区人民医院{wing}楼建设项目",
                     f"建设{wing}楼{rng.randint(1, 5)}万平方米。"),
                    ("养老", f"{town}养老服务中心建设项目",
                     f"新建养老床位{rng.randint(1, 4) * 100}张。"),
                    ("住房", f"{town}老旧小区改造项目",
                     f"改造老旧小区{rng.randint(3, 20)}个,涉及{rng.randint(5, 30) * 100}户。"),
                    ("住房", f"{rng.choice(ROADS)}保障性租赁住房项目",
                     f"建设保障性租赁住房{rng.randint(3, 12) * 100}套。"),
                    ("文旅", f"太昊陵{rng.choice(('游客中心', '历史街区', '文化广场'))}提升项目",
                     "改造提升景区配套设施及游客服务设施。"),
                )
            )  # fmt: skip
        elif p.domain == "green_low_carbon":
            town = rng.choice(TOWNS)
            ind, name, desc = rng.choice(
                (
                    ("新能源", f"{town}{rng.choice((10, 20, 30, 50))}MW分布式光伏发电项目",
                     "利用屋顶及设施农业建设分布式光伏电站。"),
                    ("新能源", f"{town}{rng.choice((50, 100, 150))}MW风电项目",
                     f"安装风电机组{rng.randint(10, 30)}台及升压站。"),
                    ("新能源", f"{town}生物质热电联产项目", "建设生物质锅炉及汽轮发电机组。"),
                    ("节能环保", f"{town}{rng.choice((50, 100, 200))}MWh储能电站项目",
                     "建设电化学储能电站及配套升压设施。"),
                    ("节能环保", f"{town}农业废弃物资源化利用项目",
                     "建设秸秆、畜禽粪污收储及有机肥加工设施。"),
                    ("节能环保", f"经开区{rng.choice(('污水', '余热', '中水'))}资源化利用项目",
                     "建设再生水厂及管网,供园区企业循环利用。"),
                )
            )  # fmt: skip
        else:
            ind = "科技研发"
            company = rng.choice(COMPANY_A) + rng.choice(("科技", "新材料", "智能装备", "食品"))
            name, desc = rng.choice(
                (
                    (f"{company}研发中心建设项目", "建设研发中心及中试车间,购置研发检测设备。"),
                    (f"淮阳区{rng.choice(('塑料', '装备制造', '食品'))}产业工程技术研究中心项目",
                     "建设省级工程技术研究中心及公共实验室。"),
                    (f"淮阳经开区{rng.choice(('科技孵化器', '众创空间', '检验检测中心'))}建设项目",
                     "建设孵化载体及公共服务平台。"),
                    (f"{company}数字化车间建设项目", "建设工业互联网平台及数字化车间。"),
                )
            )  # fmt: skip
        if name not in used:
            used.add(name)
            p.name, p.industry, p.description = name, ind, desc
            return
    raise AssertionError("could not find a unique project name")
