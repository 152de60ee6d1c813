"""A cutover like seed 000's go-live: the procurement platform's tasks with units and deadlines."""
from datetime import UTC, datetime

from lifeline.cutover import services
from lifeline.cutover.models import Cutover

PLANNED = datetime(2022, 8, 22, 0, 0, tzinfo=UTC)


def go_live() -> Cutover:
    cutover = Cutover.objects.create(name="招采子系统上线", planned_at=PLANNED, old_system="老招采平台",
                                     new_system="医保信息平台招采子系统", fallback_plan="procurement_platform_golive",
                                     fallback_scenario="old_platform")
    migrate = services.add_task(cutover, title="老系统基础数据迁移", unit="承建单位", owner="王工",
                                deadline=datetime(2022, 8, 19, 10, tzinfo=UTC))
    services.add_task(cutover, title="数据比对", unit="省药采中心", owner="李主任",
                      deadline=datetime(2022, 8, 19, 18, tzinfo=UTC), depends_on=[migrate])
    return cutover
