"""A demo hospital organisation: 40 invented people in five teams, logins, a month of rosters.

Every name and number here is made up. Loading twice changes nothing: members are found by
phone, rotations by name, and shifts by their rotation slot.
"""
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from lifeline.accounts.roles import Role, assign_role
from lifeline.people import services
from lifeline.people.models import (
    CheckIn,
    ContactChannel,
    DutyKind,
    Member,
    RosterRotation,
    RotationSlot,
    Shift,
    Skill,
    Team,
    TeamMembership,
)

# The groups of the bundled plan of seed 001 (internet_hospital): loading that plan makes them its
# teams with its sizes (5 core, 3 backup); the demo staffs them. 现场保障组 is a team of no plan.
DEMO_PLAN = "internet_hospital"
TEAMS = [
    ("hq", "应急指挥部", "信息中心主任牵头，统一指挥、决策和对外协调。"),
    ("tech", "技术组", "故障排查与系统修复：数据库、网络、服务器、医保接口。"),
    ("clinical", "临床支持组", "协调线下资源承接线上业务，组织手工流程。"),
    ("comms", "患者沟通组", "通过短信、公众号、广播向患者传递信息，现场解释安抚。"),
    ("onsite", "现场保障组", "现场秩序、物资、电力与后勤保障。"),
]

VENDOR = "华康软件（承建单位）"

# name, username (login) or "", role of the login, department, title, skills, team seat (code:kind[:lead])
MEMBERS = [
    ("李建国", "lijianguo", Role.COMMANDER, "信息中心", "主任", "服务器, 网络, 沟通", "hq:core:lead"),
    ("孙志刚", "", None, "院办", "分管副院长", "沟通", "hq:core"),
    ("王秀英", "wangxiuying", Role.COMMANDER, "医务处", "处长", "沟通, 临床流程", "hq:core"),
    ("何玉兰", "", None, "护理部", "主任", "临床流程, 沟通", "hq:core"),
    ("郑宏", "", None, "药学部", "主任", "药品管理", "hq:core"),
    ("冯军", "", None, "财务处", "处长", "收费结算, 医保接口", "hq:backup"),
    ("吴芳", "wufang", Role.AUDITOR, "质控办", "主任", "沟通", "hq:backup"),
    ("马丽华", "", None, "门诊部", "主任", "临床流程, 沟通", "hq:backup"),
    ("周建华", "", None, "信息中心", "副主任", "服务器, 数据库恢复, 存储", "tech:core:lead"),
    ("张伟", "zhangwei", Role.DUTY, "信息中心", "网络工程师", "网络, 安全", "tech:core"),
    ("刘洋", "liuyang", Role.DUTY, "信息中心", "数据库管理员", "数据库恢复, 存储", "tech:core"),
    ("陈静", "chenjing", Role.DUTY, "信息中心", "系统工程师", "服务器, 数据库恢复", "tech:core"),
    ("杨磊", "yanglei", Role.DUTY, "信息中心", "接口工程师", "医保接口, 服务器", "tech:core"),
    ("高峰", "", None, VENDOR, "驻场工程师", "数据库恢复, 医保接口", "tech:backup"),
    ("林涛", "", None, VENDOR, "实施工程师", "服务器, 桌面运维", "tech:backup"),
    ("徐明", "", None, "信息中心", "运维工程师", "网络, 桌面运维", "tech:backup"),
    ("梁振华", "", None, "医务处", "副处长", "临床流程, 沟通", "clinical:core:lead"),
    ("黄丽", "huangli", Role.DEPARTMENT, "护理部", "护士长", "临床流程", "clinical:core"),
    ("宋晓燕", "", None, "门诊部", "护士长", "临床流程, 沟通", "clinical:core"),
    ("唐伟", "tangwei", Role.DEPARTMENT, "医务处", "科员", "临床流程", "clinical:core"),
    ("韩雪", "hanxue", Role.DEPARTMENT, "药学部", "主管药师", "药品管理", "clinical:core"),
    ("曹阳", "", None, "急诊科", "主治医师", "临床流程", "clinical:backup"),
    ("彭静", "", None, "护理部", "住院部护士长", "临床流程", "clinical:backup"),
    ("董晨", "dongchen", Role.DEPARTMENT, "检验科", "主管技师", "临床流程", "clinical:backup"),
    ("蒋文", "", None, "客服中心", "主任", "沟通, 应急广播", "comms:core:lead"),
    ("谢婷", "", None, "客服中心", "副主任", "沟通", "comms:core"),
    ("邓佳", "", None, "客服中心", "客服专员", "沟通", "comms:core"),
    ("萧然", "", None, "宣传科", "科长", "沟通, 应急广播", "comms:core"),
    ("罗敏", "", None, "门诊部", "导诊组长", "沟通", "comms:core"),
    ("田甜", "", None, "客服中心", "客服专员", "沟通", "comms:backup"),
    ("潘悦", "", None, "客服中心", "客服专员", "沟通", "comms:backup"),
    ("袁媛", "", None, "宣传科", "干事", "沟通", "comms:backup"),
    ("胡斌", "", None, "总务处", "处长", "电力保障", "onsite:core:lead"),
    ("朱红", "", None, "保卫处", "处长", "沟通", "onsite:core"),
    ("赵敏", "zhaomin", Role.DEPARTMENT, "门诊部", "科员", "收费结算, 沟通", "onsite:core"),
    ("周强", "zhouqiang", Role.DEPARTMENT, "财务处", "收费处组长", "收费结算, 医保接口", "onsite:core"),
    ("钱坤", "", None, "总务处", "副处长", "电力保障", "onsite:core"),
    ("孔亮", "", None, "保卫处", "队长", "沟通", "onsite:backup"),
    ("白雪", "", None, "门诊部", "科员", "收费结算", "onsite:backup"),
    ("崔浩", "", None, "总务处", "电工", "电力保障", "onsite:backup"),
    # On no team: their departments receive duty cards (DEPARTMENTS).
    ("罗刚", "luogang", Role.DEPARTMENT, "影像科", "技师长", "临床流程", ""),
    ("方琳", "fanglin", Role.DEPARTMENT, "功能检查科", "主管技师", "临床流程", ""),
]

# The bundled plans' card departments, in the hospital's own departments (plans.departments:
# the demo maps every one, so every card reaches a department with a login).
DEPARTMENTS = {
    "internet_hospital": {"临床科室（医生、护士）": ["医务处", "护理部"]},
    "general_hospital_his": {
        "挂号处": ["门诊部"], "病案室": ["医务处"], "收费处": ["财务处"], "医生站": ["医务处"],
        "护士分诊": ["护理部"], "门诊药房": ["药学部"], "检验科": ["检验科"], "影像科": ["影像科"],
        "功能检查科": ["功能检查科"], "住院科室": ["护理部"],
    },
    "his_failure": {
        "Outpatient charging": ["财务处"], "Inpatient billing": ["财务处"], "Pharmacy": ["药学部"],
        "Nurse workstation": ["护理部"], "Doctor workstation": ["医务处"], "Warehouse": ["总务处"],
        "Physical examination": ["功能检查科"],
    },
}

# role id, shift length in hours, members in turn; the backup rotation is the same list moved on by one.
ROTATIONS = [
    ("commander", 168, ["李建国", "周建华", "孙志刚"]),
    ("duty_it", 24, ["张伟", "刘洋", "陈静", "杨磊"]),
    ("tech_lead", 168, ["周建华", "陈静"]),
    ("dba", 168, ["刘洋", "陈静"]),
    ("network_admin", 168, ["张伟", "徐明"]),
    ("clinical_lead", 168, ["梁振华", "宋晓燕"]),
    ("comms_lead", 168, ["蒋文", "谢婷"]),
    ("onsite_lead", 168, ["胡斌", "钱坤"]),
    ("vendor", 24, ["高峰", "林涛"]),
    # Every other role a bundled plan pages (plans.coverage: levels' leads and notify roles, the
    # escalation chain, step owners), so no demo incident says "无人值班，无法呼叫".
    ("it_director", 168, ["李建国", "周建华"]),
    ("sysadmin", 168, ["陈静", "徐明"]),
    ("hardware_vendor", 168, ["林涛", "高峰"]),
    ("hospital_leader", 168, ["孙志刚", "王秀英"]),
    ("project_lead", 168, ["周建华", "李建国"]),
    ("software_company", 24, ["高峰", "林涛"]),
    ("dependency_vendor", 168, ["林涛", "高峰"]),
    ("tech", 24, ["陈静", "杨磊"]),
    ("fiber_engineer", 168, ["张伟", "徐明"]),
    ("hq_member", 168, ["吴芳", "孙志刚"]),
    ("business_owner", 168, ["冯军", "王秀英"]),
    ("provincial_bureau", 168, ["孙志刚", "冯军"]),
    ("agency", 168, ["冯军", "杨磊"]),
    ("designated_hospital", 168, ["王秀英", "马丽华"]),
    ("responsible_departments", 168, ["王秀英", "何玉兰"]),
    ("department_head", 168, ["马丽华", "何玉兰"]),
    ("workstation_staff", 24, ["赵敏", "白雪"]),
    ("insurance_staff", 168, ["冯军", "杨磊"]),
    ("insurance_liaison", 168, ["杨磊", "冯军"]),
    ("finance_lead", 168, ["冯军", "周强"]),
    ("registration_lead", 168, ["马丽华", "赵敏"]),
    ("cashier_lead", 168, ["周强", "白雪"]),
    ("medical_records_lead", 168, ["唐伟", "王秀英"]),
    ("medical_affairs", 168, ["王秀英", "梁振华"]),
    ("nursing_lead", 168, ["何玉兰", "黄丽"]),
    ("pharmacy_lead", 168, ["郑宏", "韩雪"]),
    ("lab_lead", 168, ["董晨", "梁振华"]),
    ("imaging_lead", 168, ["罗刚", "方琳"]),
    ("function_exam_lead", 168, ["方琳", "罗刚"]),
    ("inpatient_lead", 168, ["彭静", "何玉兰"]),
    ("registrar", 24, ["赵敏", "白雪"]),
    ("cashier", 24, ["白雪", "周强"]),
    ("triage_nurse", 24, ["宋晓燕", "黄丽"]),
    ("doctor", 24, ["曹阳", "唐伟"]),
    ("pharmacist", 24, ["韩雪", "郑宏"]),
    ("medtech", 24, ["董晨", "罗刚"]),
]

# name, status, minutes to arrive, where
CHECK_INS = [
    ("张伟", CheckIn.Status.ON_SITE, None, "信息中心机房"),
    ("周建华", CheckIn.Status.ON_SITE, None, "信息中心办公室"),
    ("刘洋", CheckIn.Status.OFF_SITE, 20, "家中，距医院约8公里"),
    ("陈静", CheckIn.Status.OFF_SITE, 45, "城东，开车过来"),
    ("杨磊", CheckIn.Status.UNAVAILABLE, None, "外地出差"),
    ("高峰", CheckIn.Status.OFF_SITE, 30, "公司"),
]


def load_demo(today: date, password: str) -> dict:
    """Create (or find) the demo organisation and a month of rosters from `today`.

    Returns counts and the demo usernames by role: {"members": 40, "users": {"指挥": [...], ...}, ...}.
    """
    teams = {code: Team.objects.get_or_create(plan="" if code == "onsite" else DEMO_PLAN, code=code,
                                              defaults={"name": name, "description": text})[0]
             for code, name, text in TEAMS}
    members, users = {}, {}
    for i, (name, username, role, department, title, skills, seat) in enumerate(MEMBERS, start=1):
        member = _member(i, name, department, title, skills)
        if seat:
            code, kind, *lead = seat.split(":")
            TeamMembership.objects.get_or_create(member=member, team=teams[code],
                                                 defaults={"kind": kind, "lead": bool(lead)})
        if username:
            _login(member, username, role, password)
            users.setdefault(role.value, []).append(username)
        members[name] = member
    _rosters(members, today)
    _check_ins(members)
    return {"members": Member.objects.count(), "teams": Team.objects.count(),
            "shifts": Shift.objects.count(), "users": users}


def _member(i, name, department, title, skills):
    phone = f"1380010{i:04d}"
    member, created = Member.objects.get_or_create(
        phone=phone, defaults={"name": name, "department": department, "title": title})
    if created:
        member.skills.set([Skill.objects.get_or_create(name=s.strip())[0] for s in skills.split(",")])
        # The local sink (lifeline.notify.sink, shown at /notify/sink/): the demo never reaches
        # for WeCom, an SMS gateway or a mail server, and a newcomer sees the messages arrive.
        channels = [("wecom", f"sink://wecom/{phone}"),
                    ("sms", f"sink://sms/{phone}"),
                    ("email", f"sink://email/staff{i:03d}")]
        for order, (kind, url) in enumerate(channels):  # create(), not bulk_create: audited
            ContactChannel.objects.create(member=member, order=order, kind=kind, url=url)
    return member


def _login(member, username, role, password):
    user, _created = get_user_model().objects.get_or_create(username=username,
                                                            defaults={"first_name": member.name})
    # The demo command prints the password it was given, so every run sets it.
    user.set_password(password)
    user.save()
    assign_role(user, role)
    if member.user_id != user.pk:
        member.user = user
        member.save(update_fields=["user"])


def _rosters(members, today):
    day_start = timezone.make_aware(datetime.combine(today, time.min))
    # Shifts change at 08:00; starting the day before covers the small hours of `today`.
    first_shift = day_start - timedelta(days=1) + timedelta(hours=8)
    for role, hours, names in ROTATIONS:
        for kind, order in ((DutyKind.PRIMARY, names), (DutyKind.BACKUP, names[1:] + names[:1])):
            rotation, created = RosterRotation.objects.get_or_create(
                name=f"{role} · {kind}",
                defaults={"role": role, "kind": kind, "shift_hours": hours, "starts_at": first_shift})
            if created:
                for n, name in enumerate(order):
                    RotationSlot.objects.create(rotation=rotation, member=members[name], order=n)
            services.generate_shifts(rotation, day_start, day_start + timedelta(days=30))


def _check_ins(members):
    fresh = services.current_check_ins()
    for name, status, eta, note in CHECK_INS:
        if members[name].pk not in fresh:
            services.check_in(members[name], status, eta, note)
