"""A county's year of department requests, as data: the burden benchmark's scenario.

Besides the demo's seven requests (yibiao/demo/requests.py, re-used as they are), these
come from the shared dev forms (bench/data/forms-dev/forms.jsonl, line numbers in
`source`; columns that are another system's internal keys — UUID, ID, 疫苗ID — dropped)
and a few written here the way county departments write them. Each has the subject
filter a real department would give, and names its *activity* columns: values that are
new information every period (本月探访次数, 走访时间 …), as opposed to states (电话,
入伍时间) that stay true until they change. The benchmark's floor counts activity
values once per period and states once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AGE_60 = [{"element": "person.age", "op": ">=", "value": "60"}]
AGE_80 = [{"element": "person.age", "op": ">=", "value": "80"}]
LOCAL = [{"element": "person.hukou_type", "op": "=", "value": "1"}]
MIGRANT = [{"element": "person.residence_status", "op": "=", "value": "2"}]
ALONE = [{"element": "person.lives_alone", "op": "=", "value": "1"}]
EMPTY_NEST = [{"element": "person.empty_nester", "op": "=", "value": "1"}]
DISABLED = [{"element": "person.disability_category", "op": "present"}]
VETERAN = [{"element": "person.veteran", "op": "=", "value": "1"}]
LOW_INCOME = [{"element": "person.low_income", "op": "=", "value": "1"}]


@dataclass(frozen=True)
class ScenarioTemplate:
    title: str
    department: str
    frequency: str
    headers: list[str]
    basis: str
    subject_filter: list[dict[str, str]] = field(default_factory=list)
    activity: frozenset[str] = frozenset()
    source: str = "own"


# Activity columns of the demo's own templates (they do not say; the benchmark must know).
DEMO_ACTIVITY = {
    "独居老人关爱探访登记表": frozenset({"本月探访次数", "探访发现的问题"}),
    "独居老人情况统计": frozenset({"本月探访次数", "探访发现的问题"}),
    "社区人口情况统计表": frozenset({"本月新增流动人口"}),
}

TEMPLATES = [
    ScenarioTemplate(
        "常住人口登记表", "区公安分局", "quarterly",
        ["序号", "姓名", "公民身份证号", "户号", "与户主关系", "性别", "出生日期", "联系电话",
         "户籍地区划", "户籍地详址", "现住地区划", "现住地详址", "户口类别", "迁入时间",
         "其它住址省市县区", "其他住址详址", "核实时间"],
        "《户口登记条例》；《公安派出所实有人口管理工作规范》", LOCAL,
        frozenset({"核实时间"}), "dev:7 常住人口 Excel导出 (repeated 户号 dropped)"),
    ScenarioTemplate(
        "流动人口登记表", "区公安分局", "quarterly",
        ["序号", "姓名", "公民身份证号", "性别", "出生日期", "联系电话", "户籍地区划", "户籍地详址",
         "现住地区划", "现住地详址", "到达时间", "核签时间", "居住事由", "拟居住时间"],
        "《居住证暂行条例》（国务院令第663号）", MIGRANT,
        frozenset({"核签时间"}), "dev:11 流动人口 Excel导出 (操作单位/操作人/操作时间 dropped)"),
    ScenarioTemplate(
        "实有人口信息表", "区公安分局", "quarterly",
        ["序号", "姓名", "公民身份证号", "性别", "出生日期", "联系电话", "户籍地详址", "现住地详址"],
        "《公安派出所实有人口管理工作规范》", [], frozenset(), "dev:9 实有人口 Excel模板"),
    ScenarioTemplate(  # the exact duplicate: same sheet, same people, another department
        "实有人口信息表", "区委政法委（综治中心）", "quarterly",
        ["序号", "姓名", "公民身份证号", "性别", "出生日期", "联系电话", "户籍地详址", "现住地详址"],
        "《岳麓区网格化服务管理工作方案》", [], frozenset(), "dev:9, exact duplicate"),
    ScenarioTemplate(
        "入户走访登记表", "区公安分局", "monthly",
        ["序号", "调查属性", "姓名", "身份证", "电话", "户籍地", "现住地", "所属社区", "社区民警"],
        "《公安派出所社区警务工作规范》", MIGRANT,
        frozenset({"调查属性"}), "dev:2 入户走访 导出 (分组/ID/警务区/派出所/分县局 dropped)"),
    ScenarioTemplate(
        "老年人疫苗接种情况登记", "区疾病预防控制中心", "monthly",
        ["序号", "居住地址", "姓名", "电话", "接种时间", "接种状态", "未接种原因", "备注"],
        "《疫苗管理法》；《老年人新冠病毒疫苗接种工作方案》", AGE_60,
        frozenset(), "dev:31 疫苗接种 记录导出 (UUID/疫苗ID dropped)"),
    ScenarioTemplate(
        "老伙伴计划探访服务记录", "区民政局", "monthly",
        ["序号", "服务日期", "服务对象名字", "身份证号", "服务项目", "服务内容", "服务结果",
         "志愿者姓名", "志愿者身份证号"],
        "《关于开展“老伙伴”计划的通知》（民政局文件）", AGE_80,
        frozenset({"服务日期", "服务项目", "服务内容", "服务结果"}),
        "dev:36 老伙伴 探访服务记录"),
    ScenarioTemplate(
        "空巢老人走访记录", "区民政局", "monthly",
        ["序号", "走访对象", "居住地址", "方式", "走访时间", "参与人员", "走访详情"],
        "《关于加强农村留守老年人关爱服务工作的意见》（民发〔2017〕193号）", EMPTY_NEST,
        frozenset({"方式", "走访时间", "参与人员", "走访详情"}), "dev:37 走访记录 (服务标签 dropped)"),
    ScenarioTemplate(
        "高龄津贴发放花名册", "区民政局", "monthly",
        ["序号", "姓名", "性别", "公民身份号码", "年龄", "户籍地址", "联系电话", "银行账号",
         "本月发放金额（元）"],
        "《湖南省高龄津贴制度实施办法》", AGE_80, frozenset({"本月发放金额（元）"})),
    ScenarioTemplate(  # near-duplicate of 残疾人基本状况表 with new columns
        "残疾人两项补贴发放表", "区残疾人联合会", "monthly",
        ["序号", "姓名", "公民身份号码", "残疾类别", "残疾等级", "残疾人证号", "联系电话", "补贴类型",
         "本月补贴金额（元）"],
        "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）",
        DISABLED, frozenset({"本月补贴金额（元）"})),
    ScenarioTemplate(
        "退役军人关爱走访台账", "区退役军人事务局", "quarterly",
        ["序号", "姓名", "性别", "出生日期", "公民身份号码", "联系电话", "现居住地址", "入伍时间",
         "退役时间", "本季度走访次数"],
        "《退役军人保障法》第六十条", VETERAN, frozenset({"本季度走访次数"})),
    ScenarioTemplate(  # near-duplicate of 独居老人关爱探访登记表: other people, one new column
        "空巢老人关爱探访登记表", "区老龄办", "monthly",
        ["序号", "姓名", "性别", "年龄", "联系电话", "紧急联系人", "紧急联系人电话", "本月探访次数",
         "身体状况"],
        "《湖南省老年人权益保障条例》", EMPTY_NEST, frozenset({"本月探访次数"})),
    ScenarioTemplate(  # exact duplicate of the demo's 低保对象花名册, another department
        "低保对象花名册", "区财政局", "monthly",
        ["序号", "姓名", "性别", "出生日期", "公民身份号码", "家庭住址"],
        "《社会救助暂行办法》（国务院令第649号）", LOW_INCOME),
    # Near-duplicate of 社区人口情况统计表, quarterly. Headed 总人口 / 本季度新增流动人口 (no
    # 数), the layout sniffer takes it for a roster of people (see the benchmark's report);
    # the 数 endings keep it the statistical table it is.
    ScenarioTemplate(
        "社区流动人口季度统计表", "区统计局", "quarterly",
        ["网格", "总人口数", "流动人口数", "本季度新增流动人口数", "本季度注销流动人口数"],
        "《岳麓区社区统计报表制度》（岳统字〔2026〕1号）", [],
        frozenset({"本季度新增流动人口数", "本季度注销流动人口数"})),
]
