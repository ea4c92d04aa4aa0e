"""Word lists the synthetic county is drawn from.

Kept apart from the generator so the vocabulary can grow without touching the logic.
Everything here is generic: no list names a real person, and place words are common
Chinese toponym parts, not a copy of any real county's roads or villages.
"""

from __future__ import annotations

# The ~100 most common surnames with their approximate share of the population in
# per mille (rounded from the public rankings of the household registration system).
# Weighted draws give 王/李/张 the ~7% each a real ledger shows, and a long tail.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71.2), ("李", 70.0), ("张", 67.4), ("刘", 51.0), ("陈", 46.1),
    ("杨", 32.2), ("黄", 24.5), ("赵", 21.9), ("吴", 20.0), ("周", 19.5),
    ("徐", 14.5), ("孙", 13.8), ("马", 12.9), ("朱", 12.8), ("胡", 11.6),
    ("郭", 11.3), ("何", 11.2), ("林", 10.1), ("高", 10.0), ("罗", 9.5),
    ("郑", 8.8), ("梁", 8.5), ("谢", 7.6), ("宋", 6.7), ("唐", 6.6),
    ("许", 6.3), ("韩", 6.2), ("冯", 6.1), ("邓", 6.0), ("曹", 5.8),
    ("彭", 5.7), ("曾", 5.6), ("肖", 5.5), ("田", 5.3), ("董", 5.2),
    ("袁", 5.0), ("潘", 5.0), ("于", 4.9), ("蒋", 4.8), ("蔡", 4.7),
    ("余", 4.6), ("杜", 4.5), ("叶", 4.4), ("程", 4.3), ("苏", 4.2),
    ("魏", 4.1), ("吕", 4.0), ("丁", 3.9), ("任", 3.8), ("沈", 3.7),
    ("姚", 3.6), ("卢", 3.5), ("姜", 3.4), ("崔", 3.3), ("钟", 3.3),
    ("谭", 3.2), ("陆", 3.1), ("汪", 3.0), ("范", 3.0), ("金", 2.9),
    ("石", 2.9), ("廖", 2.8), ("贾", 2.8), ("夏", 2.7), ("韦", 2.7),
    ("付", 2.6), ("方", 2.6), ("白", 2.5), ("邹", 2.5), ("孟", 2.4),
    ("熊", 2.4), ("秦", 2.3), ("邱", 2.3), ("江", 2.3), ("尹", 2.2),
    ("薛", 2.2), ("闫", 2.1), ("段", 2.1), ("雷", 2.0), ("侯", 2.0),
    ("龙", 1.9), ("史", 1.9), ("陶", 1.8), ("黎", 1.8), ("贺", 1.8),
    ("顾", 1.7), ("毛", 1.7), ("郝", 1.7), ("龚", 1.6), ("邵", 1.6),
    ("万", 1.6), ("钱", 1.5), ("覃", 1.5), ("武", 1.5), ("戴", 1.4),
    ("孔", 1.4), ("汤", 1.4), ("庞", 1.3), ("赖", 1.3), ("严", 1.3),
)

# Given-name characters by sex and by the birth cohort whose naming fashion they follow:
# 建国/秀英 before 1955, 伟/丽 in the 1960s-80s, 浩/婷 around 2000, 梓/涵 after 2010.
# Keys: (sex code, cohort) with cohort one of "old", "mid", "young", "new".
GIVEN_CHARS: dict[tuple[str, str], str] = {
    ("1", "old"): "国建华明军德福生志文平成林发金荣有春海清忠兴贵和顺山宝富祥才长友",
    ("2", "old"): "秀英兰桂珍芳玉凤淑梅华莲娥翠菊琴云霞香珠月素兰彩银花",
    ("1", "mid"): "伟勇军强磊斌涛波辉刚杰峰鹏明超亮华平兵建东林彬健飞宏志新永",
    ("2", "mid"): "丽芳娟敏静艳霞燕红萍玲琳婷洁慧莉丹颖梅晶琴英红秀美春",
    ("1", "young"): "浩宇俊杰鑫晨轩涛博磊阳帅凯鹏文天昊一豪翔航健锋成龙乐振",
    ("2", "young"): "婷雪琪佳欣怡倩悦雨蕾晶洁颖梦思璐瑶静露薇娜敏月媛丹",
    ("1", "new"): "子宇轩浩梓睿泽辰铭昊一沐奕航博皓宸俊安煜然瑞诚嘉鸿景",
    ("2", "new"): "子梓欣诗涵怡可雨若紫梦萱悦彤妍芮依语晗汐瑶一佳楠琪思",
}

# Share of one-character given names by cohort: common among people born in the
# 1960s-80s, rare for children today.
SINGLE_CHAR_SHARE: dict[str, float] = {"old": 0.22, "mid": 0.3, "young": 0.15, "new": 0.08}

# Community (社区) names: a pleasant or historical stem plus an optional landform.
COMMUNITY_STEMS = (
    "桃花", "枫林", "望月", "金星", "银杏", "荷花", "白鹤", "梅溪", "桂花", "紫荆",
    "丽景", "松柏", "莲湖", "云栖", "阳光", "和平", "幸福", "长丰", "天马", "学堂",
    "书院", "文昌", "锦绣", "翠竹", "春华", "友谊", "先锋", "红星", "建设", "团结",
    "裕民", "新民", "东风", "朝阳", "青园", "兴隆", "安居", "永安", "康宁", "福源",
    "杏林", "芙蓉", "玉兰", "丹桂", "梧桐", "银湖", "碧水", "清水", "凤凰", "麒麟",
)
COMMUNITY_LANDFORMS = ("", "岭", "湖", "坡", "园", "湾", "洲", "坪", "苑", "里")

# Village (村) names: one descriptive character and one landform character, the way
# most southern villages are named (东塘, 石门, 高桥, 黄田).
VILLAGE_FIRST = "东西南北新高石白黄青双龙凤金大小长上下桃杨柳梅竹松枫荷莲桂云星明和太古"
VILLAGE_SECOND = "塘桥山冲湾坪岭田湖港洲坡江溪源林铺园门井沙"

# Road names: a stem, sometimes a direction, then 路/街/巷/大道.
STREET_STEMS = (
    "建设", "人民", "解放", "文化", "新华", "和平", "胜利", "光明", "青年", "振兴",
    "兴业", "长青", "翠湖", "杏林", "紫薇", "芙蓉", "玉兰", "丹桂", "梧桐", "银杉",
    "望岳", "学府", "书香", "桃源", "枫叶", "竹园", "荷塘", "柳岸", "金桥", "银河",
    "育才", "民主", "劳动", "团结", "创业", "科技", "白云", "青松", "东湖", "西园",
)
STREET_DIRECTIONS = ("", "", "", "东", "西", "南", "北", "中")
STREET_KINDS = ("路", "路", "路", "街", "街", "巷", "大道")

CHINESE_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
                    "十一", "十二", "十三", "十四", "十五")

# Fictional company brands and what each kind of employer's staff do.
COMPANY_BRANDS = (
    "恒达", "宏远", "华信", "鑫源", "金鹰", "博雅", "新锐", "瑞丰", "远航", "众诚",
    "嘉禾", "万通", "天润", "盛世", "永昌", "顺安", "汇丰源", "卓越", "中兴达", "长盛",
)
COMPANY_TRADES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("科技有限公司", ("软件工程师", "技术员", "职员", "销售")),
    ("建设工程有限公司", ("建筑工人", "工程师", "项目经理", "电工")),
    ("物流有限公司", ("快递员", "货车司机", "仓管员", "调度员")),
    ("餐饮管理有限公司", ("厨师", "服务员", "店长")),
    ("商贸有限公司", ("销售", "会计", "职员", "采购员")),
    ("电子有限公司", ("操作工", "质检员", "技术员", "工程师")),
    ("物业管理有限公司", ("保安", "保洁员", "物业管理员", "维修工")),
    ("配送服务有限公司", ("外卖骑手", "配送员")),
)
# Public employers, formatted with the county or township name, and their staff.
PUBLIC_EMPLOYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("{county}人民医院", ("医生", "护士", "药剂师")),
    ("{county}中医医院", ("医生", "护士")),
    ("{county}第一中学", ("教师",)),
    ("{county}实验小学", ("教师",)),
    ("{township}中心幼儿园", ("幼儿教师", "保育员")),
    ("{township}社区卫生服务中心", ("医生", "护士")),
    ("{township}人民政府", ("公务员",)),
    ("{county}市场监督管理局", ("公务员",)),
    ("{county}公安局", ("民警", "辅警")),
)
# Work without an employer to name.
SELF_EMPLOYED_URBAN = ("个体经营", "自由职业", "网约车司机")
SELF_EMPLOYED_RURAL = ("农民", "农民", "农民", "个体经营", "养殖户")
