"""The interface speaks Simplified Chinese by default, English on request, and ships no untranslated string."""
import ast
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

import lifeline
from lifeline.accounts.roles import Role
from lifeline.people.models import Member, Shift, Team
from lifeline.plans import services as plans

PACKAGE = Path(lifeline.__file__).resolve().parent
CATALOG = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
NAV_EN = ["Plans", "Organisation", "Duty roster", "Admin", "Log out"]
NAV_ZH = ["预案", "组织架构", "值班表", "后台管理", "退出"]
PLAN = "internet_hospital"

# Each page, what it says in Chinese, and the same labels in English.
PAGES = {
    "/": (["应急保障平台", "当前谁在值班，谁能最快到场。"],
          ["Who is on duty now, and who can come fastest."]),
    "/plans/": (["应急预案", "主管单位", "故障场景", "部门职责卡", "复审期限", "互联网医院系统瘫痪应急措施"],
                ["Emergency plans", "Scenarios", "Duty cards", "Review by"]),
    f"/plans/{PLAN}/": (["下载预案手册（PDF）", "主管单位", "级别", "响应时限", "版本历史"],
                        ["Download binder (PDF)", "Levels", "Respond", "Version history"]),
    "/people/": (["工作组", "通讯录", "核心成员", "0/5（缺员）", "姓名", "到岗签到"],
                 ["Teams", "Contact book", "Core members", "0 of 5", "Name", "Check in"]),
    "/people/roster/": (["当前值班", "主班", "备用", "张伟", "当日无临时调班。"],
                        ["On duty now", "Primary", "Backup", "IT on duty", "No overrides on this day."]),
}


@pytest.fixture
def commander(client, make_user, clock):
    """A logged-in commander (a staff role, so the Admin link shows too), a plan, a team and a shift."""
    plans.load_files([p for p in plans.bundled_paths() if p.name.startswith("001_")])
    Team.objects.create(name="技术保障组", code="tech", core_target=5, backup_target=3)
    member = Member.objects.create(name="张伟", phone="13800000001", department="信息中心")
    Shift.objects.create(role="duty_it", member=member, starts_at=clock.now() - timedelta(hours=1),
                         ends_at=clock.now() + timedelta(hours=23))
    client.force_login(make_user("commander", Role.COMMANDER))
    yield client
    # A request activates its language in this thread and leaves it there: put the default back, so
    # that tests after an English page read messages made outside a request in Chinese again.
    translation.deactivate()


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_in_chinese_by_default(commander, path):
    response = commander.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for label in NAV_ZH:
        assert f">{label}<" in html, f"nav label {label} missing on {path}"
    for label in NAV_EN:
        assert f">{label}<" not in html, f"untranslated nav label {label} on {path}"
    for text in PAGES[path][0]:
        assert text in html, f"{text} missing on {path}"


def test_an_english_locale_browser_still_gets_the_hospitals_chinese(commander, client):
    """A ward PC or lobby screen set up in English shows what everyone else sees; English is a
    choice in the header."""
    html = commander.get("/plans/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html and ">预案<" in html
    status = client.get("/status/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in status and "服务状态" in status


@pytest.mark.parametrize("path", PAGES)
def test_switching_to_english_shows_the_same_page_in_english(commander, path):
    switched = commander.post("/i18n/setlang/", {"language": "en", "next": path})
    assert switched.status_code == 302 and switched["Location"] == path
    html = commander.get(path).content.decode()
    assert '<html lang="en">' in html
    for label in NAV_EN:
        assert f">{label}<" in html, f"nav label {label} missing on {path} in English"
    for text in PAGES[path][1]:
        assert text in html, f"{text} missing on {path} in English"
    for label in NAV_ZH:
        assert f">{label}<" not in html


def test_a_label_and_its_value_read_as_one_chinese_phrase(commander):
    """The colon belongs to the translation: Chinese pages write 分类：数据库, not 分类: 数据库."""
    scenario = commander.get(f"/plans/{PLAN}/scenarios/database_crash/").content.decode()
    assert "分类：数据库" in scenario
    assert f'启用的部门职责卡：<a href="/plans/{PLAN}/duty-cards/">' in scenario
    detail = commander.get(f"/plans/{PLAN}/").content.decode()
    assert "上级：互联网医院应急指挥部" in detail and "影响范围：" in detail
    cards = commander.get(f"/plans/{PLAN}/duty-cards/").content.decode()
    assert "协调人：临床支持组组长" in cards and "适用时机：系统瘫痪时" in cards
    for html in (scenario, detail, cards):
        assert not re.search(r"[\u4e00-\u9fff]: ", html), "a Chinese label followed by an English colon"


def test_title_and_top_bar_speak_the_reader_language(commander):
    assert "<title>预案 · 应急保障平台</title>" in commander.get("/plans/").content.decode()
    commander.post("/i18n/setlang/", {"language": "en", "next": "/"})
    home = commander.get("/").content.decode()
    assert "<title>Hospital IT emergency command · Lifeline</title>" in home
    assert "commander · Commander</span>" in home  # the role's label, not the group name 指挥


def test_a_member_name_is_labelled_as_a_person_name(commander):
    form = commander.get("/admin/people/member/add/").content.decode()
    assert "姓名" in form and "名称" not in form


def read_po(text: str) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstrs and flags; obsolete (#~) entries left out."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"flags": set(), "msgid_plural": None, "msgstr": []}
        field = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if field == "msgstr":
                    entry["msgstr"][-1] += value
                else:
                    entry[field] += value
            else:
                keyword, quoted = line.split(" ", 1)
                value = ast.literal_eval(quoted)
                field = "msgstr" if keyword.startswith("msgstr") else keyword
                if field == "msgstr":
                    entry["msgstr"].append(value)
                else:
                    entry[field] = value
        if "msgid" in entry:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}")


def problems(text: str) -> list[str]:
    """Every entry that would ship untranslated or broken: empty, fuzzy, or with other placeholders."""
    found = []
    for entry in read_po(text):
        msgid = entry["msgid"]
        if "fuzzy" in entry["flags"]:
            found.append(f"fuzzy: {msgid!r}")
        if not msgid:
            continue  # the header
        if not entry["msgstr"] or not all(entry["msgstr"]):
            found.append(f"untranslated: {msgid!r}")
        wanted = sorted(PLACEHOLDER.findall(entry["msgid_plural"] or msgid))
        for msgstr in entry["msgstr"]:
            if msgstr and sorted(PLACEHOLDER.findall(msgstr)) != wanted:
                found.append(f"placeholders differ: {msgid!r} -> {msgstr!r}")
    return found


def test_po_reader_finds_empty_fuzzy_and_broken_entries():
    text = '''msgid ""
msgstr ""
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "Plans"
msgstr ""

#, fuzzy
msgid "Level"
msgstr "级别"

#, python-format
msgid "%d shift created."
msgid_plural "%d shifts created."
msgstr[0] "已生成班次。"

msgid ""
"Too many failed "
"login attempts."
msgstr ""
"登录失败"
"次数过多。"

#~ msgid "Gone"
#~ msgstr ""
'''
    assert problems(text) == ["untranslated: 'Plans'", "fuzzy: 'Level'",
                              "placeholders differ: '%d shift created.' -> '已生成班次。'"]
    assert read_po(text)[-1]["msgid"] == "Too many failed login attempts."


def test_catalog_is_complete_and_declares_chinese_with_one_plural_form():
    text = CATALOG.read_text(encoding="utf-8")
    assert problems(text) == []
    header = read_po(text)[0]["msgstr"][0]
    for line in ("Language: zh_Hans", "Content-Type: text/plain; charset=UTF-8",
                 "Plural-Forms: nplurals=1; plural=0;"):
        assert line in header


def test_every_string_in_the_source_is_in_the_catalog_and_translated(tmp_path, monkeypatch, settings):
    """Extract the messages again from a copy of the source, merge them into a copy of the catalog:
    a new or changed msgid shows up there as untranslated or fuzzy."""
    copy = tmp_path / "lifeline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "bundled", "*.mo"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["zh_Hans"], ignore_patterns=["bundled/*"], verbosity=0)
    merged = (copy / CATALOG.relative_to(PACKAGE)).read_text(encoding="utf-8")
    assert problems(merged) == [], "run `cd lifeline && ../.venv/bin/lifeline makemessages -l zh_Hans " \
                                   "--ignore 'bundled/*'` and translate the new strings"
