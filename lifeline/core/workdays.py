"""China's working days (工作日): statutory holidays and adjusted working days (调休).

A duration such as `2wd` in a plan counts working days. Which days those are comes from

1. the hospital's own file, `LIFELINE_WORKDAYS_FILE` (default `<data dir>/workdays.yaml`), read
   again whenever it changes, so neither the server nor the worker needs a restart:

       2027:                                   # a year listed here is known to Lifeline
         holidays: [2027-01-01, 2027-02-06..2027-02-12]
         workdays: [2027-02-14]                # 调休: a Saturday or Sunday worked
         note: 国务院办公厅 2027 年部分节假日安排的通知
       2026:
         holidays: [2026-07-01]                # the hospital's own day off, on top of the package

   A day listed there wins; for a year the package does not know, the other days of a listed
   year are Monday to Friday;
2. the `chinesecalendar` package (import name `chinese_calendar`), which carries the State
   Council's announcements from 2004 up to the year it was released for;
3. nothing else: a year neither knows is *unknown*. Counting working days through it falls
   back to Monday to Friday, explicitly: the fallback is logged, and `problems()` says so
   in the reader's language, for the pages that show deadlines (the `{% workday_warnings %}`
   tag). Update the package or add the year to the file when the announcement is out
   (usually in November for the next year); `lifeline workdays` shows what is known.

Dates are the hospital's dates: an aware datetime is read in settings.TIME_ZONE.
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import yaml
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

log = logging.getLogger("lifeline.workdays")

_RANGE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})\s*$")


def package_years() -> range:
    """The years the chinesecalendar package knows."""
    years = [day.year for day in chinese_calendar.constants.holidays]
    return range(min(years), max(years) + 1)


class CalendarFileError(ValueError):
    """The hospital's workdays file cannot be read; names the place and the reason."""


@dataclass
class HospitalDays:
    """What the hospital's file says: the years it describes and each day it lists."""

    path: Path | None = None
    years: dict[int, str] = field(default_factory=dict)  # year -> note
    days: dict[date, bool] = field(default_factory=dict)  # day -> working?
    problem: str = ""  # why the file was not used


def workdays_file() -> Path:
    configured = getattr(settings, "WORKDAYS_FILE", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "workdays.yaml"


def _dates(value, where: str) -> list[date]:
    """A list of dates and `first..last` ranges."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise CalendarFileError(f"{where}: expected a list of dates, e.g. [2027-01-01, 2027-02-06..2027-02-12]")
    found = []
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            found.append(item)
            continue
        match = _RANGE.match(str(item))
        try:
            first, last = ((date.fromisoformat(match[1]), date.fromisoformat(match[2])) if match
                           else (date.fromisoformat(str(item).strip()),) * 2)
        except ValueError:
            raise CalendarFileError(f"{where}: {item!r} is not a date (2027-01-01) or a range "
                                    f"(2027-02-06..2027-02-12)") from None
        if last < first:
            raise CalendarFileError(f"{where}: {item!r} ends before it starts")
        found += [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return found


def parse(text: str, path: Path | None = None) -> HospitalDays:
    """The hospital's days from the file's text; raises CalendarFileError naming the problem."""
    name = str(path or "workdays file")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CalendarFileError(f"{name}: not YAML ({exc})") from None
    if not isinstance(data, dict):
        raise CalendarFileError(f"{name}: expected years as keys, e.g. 2027: {{holidays: [...], workdays: [...]}}")
    found = HospitalDays(path=path)
    for year, entry in data.items():
        if not isinstance(year, int) or not 1900 < year < 3000:
            raise CalendarFileError(f"{name}: {year!r} is not a year")
        entry = entry or {}
        if not isinstance(entry, dict) or set(entry) - {"holidays", "workdays", "note"}:
            raise CalendarFileError(f"{name}: {year}: give holidays, workdays and note only")
        holidays = _dates(entry.get("holidays"), f"{name}: {year}.holidays")
        workdays = _dates(entry.get("workdays"), f"{name}: {year}.workdays")
        for day in holidays + workdays:
            if day.year != year:
                raise CalendarFileError(f"{name}: {year}: {day} is not in {year}")
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise CalendarFileError(f"{name}: {year}: {both[0]} is both a holiday and a working day")
        found.years[year] = str(entry.get("note") or "")
        found.days.update({day: False for day in holidays})
        found.days.update({day: True for day in workdays})
    return found


_cache: dict[Path, tuple[tuple, HospitalDays]] = {}


def hospital_days() -> HospitalDays:
    """The hospital's file, read again when it changes; a broken file is logged and not used."""
    path = workdays_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return HospitalDays()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        found = parse(path.read_text(encoding="utf-8"), path)
    except (CalendarFileError, OSError, UnicodeDecodeError) as exc:
        log.error("working-day calendar: %s is not used: %s", path, exc)
        found = HospitalDays(path=path, problem=str(exc))
    _cache[path] = (stamp, found)
    return found


def known(year: int) -> bool:
    return year in package_years() or year in hospital_days().years


def is_working_day(day: date) -> bool | None:
    """Whether people work on `day`; None for a day of a year nobody knows."""
    hospital = hospital_days()
    if day in hospital.days:
        return hospital.days[day]
    if day.year in package_years():
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # the package's range has a hole
            pass
    if day.year in hospital.years:
        return day.weekday() < 5
    return None


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def add_working_days(start: datetime, count: int) -> datetime:
    """The same time of day `count` working days after `start`: each following day that is a
    working day counts one. A day of an unknown year counts when it is Monday to Friday, and
    that fallback is logged (see problems())."""
    moment, left, guessed = _local(start), count, set()
    while left > 0:
        moment += timedelta(days=1)
        working = is_working_day(moment.date())
        if working is None:
            guessed.add(moment.year)
            working = moment.weekday() < 5
        if working:
            left -= 1
    if guessed:
        log.warning("working-day calendar does not know %s: %s working days from %s counted Monday to Friday "
                    "(update chinesecalendar or add the year to %s)",
                    ", ".join(map(str, sorted(guessed))), count, start.isoformat(), workdays_file())
    return moment


def unknown_years(start: datetime | date, end: datetime | date | None = None) -> list[int]:
    """The years from start to end (both included) that the calendar does not know."""
    first = _local(start).date() if isinstance(start, datetime) else start
    last = end if end is not None else first
    last = _local(last).date() if isinstance(last, datetime) else last
    return [year for year in range(first.year, max(first.year, last.year) + 1) if not known(year)]


def problems(start: datetime | date | None = None, end: datetime | date | None = None) -> list[str]:
    """What a reader of deadlines from start to end should know about the calendar, in their
    language: years it does not know, and a hospital file that could not be used."""
    found = []
    hospital = hospital_days()
    if hospital.problem:
        found.append(_("The hospital's working-day file cannot be used: %(reason)s") % {"reason": hospital.problem})
    if start is not None:
        years = unknown_years(start, end)
        if years:
            found.append(unknown_years_text(years))
    return found


def unknown_years_text(years) -> str:
    """The warning for years the calendar does not know, in the reader's language."""
    return (_("The working-day calendar does not know %(years)s: working days there are counted "
              "Monday to Friday, without holidays or adjusted working days. Update chinesecalendar "
              "or add the year to %(file)s.")
            % {"years": ", ".join(map(str, sorted(years))), "file": workdays_file()})


def describe_year(year: int) -> dict:
    """For `lifeline workdays`: where a year's days come from, its holidays and its adjusted
    working days (Saturdays and Sundays worked)."""
    hospital = hospital_days()
    sources = []
    if year in package_years():
        sources.append("chinesecalendar")
    if year in hospital.years:
        sources.append(str(hospital.path))
    days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    status = {day: is_working_day(day) for day in days}
    return {
        "year": year, "sources": sources, "note": hospital.years.get(year, ""),
        "holidays": [d for d in days if status[d] is False and d.weekday() < 5],
        "workdays": [d for d in days if status[d] is True and d.weekday() >= 5],
    }
