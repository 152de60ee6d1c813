"""Small builders for people tests: members, teams and a fixed moment on the clock."""
from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from lifeline.people.models import Member, Skill, Team

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def monday_9am(clock):
    """The clock frozen at Monday 2025-03-03 09:00 in the hospital's zone."""
    return clock.freeze(datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def make_member(db):
    count = iter(range(1, 10_000))

    def make(name, skills=(), user=None, **fields):
        fields.setdefault("phone", f"1390000{next(count):04d}")
        member = Member.objects.create(name=name, user=user, **fields)
        member.skills.set([Skill.objects.get_or_create(name=s)[0] for s in skills])
        return member

    return make


@pytest.fixture
def tech_team(db):
    return Team.objects.create(code="tech", name="技术组", core_target=5, backup_target=3)  # seed 001's sizes


def xlsx(header, *rows) -> bytes:
    """A spreadsheet as a user would save it: header on row 1, data from row 2."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
