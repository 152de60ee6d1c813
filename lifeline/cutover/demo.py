"""The demo hospital's go-live (after seed 000): the procurement platform's cutover with its
tasks by responsible unit, the go/no-go checklist, three migration rehearsals and the old
platform as the fallback scenario."""
from datetime import timedelta

from lifeline.core import clock
from lifeline.cutover import services
from lifeline.cutover.models import Cutover, Task

FALLBACK = ("procurement_platform_golive", "old_platform")
TASKS = [  # title, unit, owner, days before the cutover, depends on (indexes)
    ("上线宣传与答疑，指定联系人", "省医疗保障局", "张处长", 7, []),
    ("老系统基础数据迁移（挂网目录、配送关系、企业账号）", "承建单位", "王工", 3, []),
    ("新老数据比对", "省药采中心", "李主任", 3, [1]),
    ("发放正式上线切换通知", "省公共资源交易中心", "赵科长", 2, [2]),
    ("组织医疗机构和配送企业上线使用", "省医疗保障局", "张处长", 0, [3]),
]
CHECKS = ["数据比对差异在容差之内", "链路测试工具与备品备件已就位", "依赖系统验证通过", "回退老平台的步骤已演练"]
REHEARSALS = [  # days before, hours taken, rows per table, problems
    (20, 5.5, {"挂网目录": 180_000, "配送关系": 42_000, "企业账号": 6_100}, "配送企业账号重复 37 个，已清洗"),
    (13, 4.8, {"挂网目录": 185_000, "配送关系": 43_500, "企业账号": 6_150}, ""),
    (6, 4.6, {"挂网目录": 188_000, "配送关系": 44_000, "企业账号": 6_200}, "迁入偏慢，已通报检查网络"),
]


def load_demo() -> Cutover:
    """The cutover ten days from now, its early tasks done (idempotent: an existing one is kept)."""
    found = Cutover.objects.filter(name="药品和医用耗材招采子系统上线").first()
    if found:
        return found
    planned = (clock.now() + timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)
    cutover = Cutover.objects.create(name="药品和医用耗材招采子系统上线", planned_at=planned,
                                     old_system="老招采平台", new_system="医保信息平台招采子系统",
                                     fallback_plan=FALLBACK[0], fallback_scenario=FALLBACK[1])
    services.record(cutover, "制定上线切换计划")
    tasks = []
    for title, unit, owner, days, after in TASKS:
        tasks.append(services.add_task(cutover, title=title, unit=unit, owner=owner,
                                       deadline=planned - timedelta(days=days), depends_on=[tasks[i] for i in after]))
    services.set_task_status(tasks[0], Task.Status.DONE)
    services.set_task_status(tasks[1], Task.Status.DOING)
    for question in CHECKS:
        services.add_check(cutover, question)
    for days, hours, rows, problems in REHEARSALS:
        started = planned - timedelta(days=days, hours=-20)
        services.add_rehearsal(cutover, started_at=started, ended_at=started + timedelta(hours=hours),
                               table_rows=rows, problems=problems)
    return cutover
