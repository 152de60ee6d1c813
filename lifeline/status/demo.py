"""The demo hospital's components, named as the patients know them, with the names the
bundled plans use for the same service. Loading twice changes nothing."""
from lifeline.status.models import Component

# key, name, description, other names in the bundled plans (scenario components, working modes)
COMPONENTS = [
    ("registration", "挂号", "窗口、自助机和手机挂号", []),
    ("charging", "收费", "门诊收费与缴费", ["Outpatient charging"]),
    ("insurance", "医保接口", "医保刷卡、结算和报销",
     ["Outpatient medical insurance card payment", "Special disease reimbursement", "Insured patient settlement"]),
    ("pharmacy", "药房", "门诊与住院取药", ["门诊药房", "Pharmacy"]),
    ("internet-hospital", "互联网医院", "在线问诊、开药和检查预约", ["问诊", "开药", "检查预约"]),
    ("lab-imaging", "检验检查", "检验、影像与体检", ["医技科室", "Physical examination"]),
    ("inpatient", "住院", "住院登记、结算与病区", ["住院结算", "Inpatient billing"]),
]


def load_demo() -> int:
    for order, (key, name, description, plan_names) in enumerate(COMPONENTS, start=1):
        Component.objects.update_or_create(key=key, defaults={
            "name": name, "description": description, "order": order * 10, "plan_names": "\n".join(plan_names)})
    return len(COMPONENTS)
