"""Shared fixtures: the database check, the injected clock, users with roles, a real Chromium."""
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

from lifeline.core import clock as lifeline_clock

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (not by the live server) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# One audit key for the whole run, in this process and the CLI processes tests start (tests move
# DATA_DIR; the key signing the test database must not move with it). Anchors go to a scratch
# file, never into ./var beside a real database's.
os.environ.setdefault("LIFELINE_AUDIT_KEY", "tests-only-audit-key-0123456789abcdef")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# What makes a test use Lifeline's own (Django) database: the django_db mark or one of these fixtures.
DJANGO_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                            "live_server", "_django_db_helper"}


def pytest_configure(config):
    settings.AUDIT_KEY = os.environ["LIFELINE_AUDIT_KEY"]
    settings.AUDIT_ANCHOR_FILE = Path(tempfile.mkdtemp(prefix="lifeline-anchors-")) / "audit-anchors.log"
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        # A file, not SQLite's shared in-memory database: Django hands the one in-memory connection to
        # every live-server request thread, so a page's poll ran inside whatever the test thread was
        # doing on that connection (broken transactions, rows committed into the next test). With a
        # file each thread has its own connection, as under gunicorn. tmpfs keeps it as fast; this
        # process's own directory keeps parallel runs (and xdist workers) apart.
        shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
        scratch = tempfile.mkdtemp(prefix="lifeline-test-", dir=shm)
        config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))
        db.setdefault("TEST", {})["NAME"] = str(Path(scratch) / "db.sqlite3")
        return
    if "postgresql" not in db["ENGINE"]:
        return
    import psycopg

    try:
        psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                        password=db.get("PASSWORD") or None, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        where = f"{db['HOST']}:{db['PORT']}"
        if os.environ.get("CI") == "true":
            pytest.exit(f"PostgreSQL at {where} is unreachable and CI=true: failing the run ({exc})", returncode=3)
        pytest.exit(f"SKIPPED the PostgreSQL pass: PostgreSQL at {where} is unreachable ({exc})", returncode=0)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark django_database every test that uses Lifeline's database (tryfirst: before `-m` selects).

    The PostgreSQL pass of `make test` runs only these: the others never reach Lifeline's database
    (pure logic, the workstation, the HIS on its own servers), so their result cannot depend on it.
    """
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.get_closest_marker("django_db") or not DJANGO_DATABASE_FIXTURES.isdisjoint(fixtures):
            item.add_marker("django_database")


DESELECTED = []  # how many tests -m or -k left out here (or, on the xdist controller, on the workers)


def pytest_deselected(items):
    DESELECTED.append(len(items))


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller prints the summary
        session.config.workeroutput["deselected"] = sum(DESELECTED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist workers do not report what they deselected: every worker deselects the same, keep one."""
    if not DESELECTED:
        DESELECTED.append(getattr(node, "workeroutput", {}).get("deselected", 0))


def pytest_terminal_summary(terminalreporter, config):
    if sum(DESELECTED) and config.option.markexpr:
        terminalreporter.write_line(f"{sum(DESELECTED)} tests deselected by -m '{config.option.markexpr}'")


@pytest.fixture
def clock():
    """The Lifeline clock, frozen; jump it with clock.advance(minutes=30)."""
    lifeline_clock.freeze()
    yield lifeline_clock
    lifeline_clock.unfreeze()


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from lifeline.accounts.roles import Role, assign_role

    def make(username, role: Role | None = None, password="correct-horse-9"):
        user = get_user_model().objects.create_user(username=username, password=password)
        if role:
            assign_role(user, role)
        return user

    return make


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def login(live_server):
    """Log a user in through the real login form."""

    def do(page, username, password="correct-horse-9", next_path="/"):
        page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():  # a goto right after would abort the login's post
            page.click("button[type=submit]")
        return page

    return do


@pytest.fixture(autouse=True)
def default_language():
    """A request in English leaves English active in this thread; give each test the default back."""
    yield
    from django.utils import translation

    translation.deactivate()



def _live_requests():
    import threading

    return [t for t in threading.enumerate() if t.name.endswith("(process_request_thread)") and t.is_alive()]


@pytest.fixture(autouse=True)
def _live_server_settled(request):
    """A test using the live server ends only when the server has answered everything it was asked.

    A request still running when a test ends (a page's poll, a keep-alive socket closing) would run
    during the next test and write into its database. So close the browser contexts the test opened
    and wait for the live server's request threads, before the database is flushed (requesting
    transactional_db here puts this teardown before the flush).
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    browser = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    opened_before = set(browser.contexts) if browser else set()
    yield
    for context in set(browser.contexts if browser else ()) - opened_before:
        context.close()
    deadline = time.monotonic() + 10
    while _live_requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    if _live_requests():
        pytest.fail(f"the live server was still answering {len(_live_requests())} request(s) 10 s after the test")
