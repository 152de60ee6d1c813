"""`lifeline snapshot build|verify|list` as a person or a script uses them: progress, the
published path on the last line, exit codes, the manifest in Chinese or English. (The builds
behind them are tested on every HIS engine elsewhere; here the demo HIS is on SQLite.)"""
import os
import pty
import subprocess

import pytest

from lifeline.his import demo_his
from lifeline.package import container
from lifeline.snapshots import storage
from tests.his.conftest import build_demo
from tests.snapshots.helpers import LIFELINE, cli_env, lifeline


@pytest.fixture(scope="module")
def his(tmp_path_factory):
    return build_demo(f"sqlite:///{tmp_path_factory.mktemp('his')}/his.db", tmp_path_factory, 1500)


def test_build_reports_each_entity_and_prints_the_package_path_last(his, cli_home):
    done = lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "正在读取 patient …"
    assert "patient：1,500 行，删除 0 行，" in done.stdout and "invoice_range：24 行" in done.stdout
    assert "正在加密 …" in done.stdout and lines[-2].startswith("全量包已发布：")
    assert lines[-1].endswith(".llsnap") and os.path.isfile(lines[-1])
    assert container.verify(lines[-1], storage.keystore(), storage.work_root()).kind == "full"

    changed = demo_his.churn(his.url, percent=2, seed=4)
    incremental = lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path, "--incremental")
    assert "patient：正在比对主键 …" in incremental.stdout and "增量包已发布" in incremental.stdout
    assert f"patient：{len(changed['patient'])} 行，删除 {len(changed['patient deleted'])} 行" in incremental.stdout
    assert "department：正在比对主键" not in incremental.stdout  # its row count says nothing went
    assert container.open_package(incremental.stdout.strip().splitlines()[-1]).parent_id == \
        container.open_package(lines[-1]).id


def test_build_on_a_terminal_draws_progress_bars(his, cli_home):
    """Bars against the row counts of the newest package (the first build counts rows without one)."""
    lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path)
    controller, terminal = pty.openpty()
    build = subprocess.Popen([LIFELINE, "snapshot", "build", "--mapping", str(his.mapping_path)],
                             env=cli_env(cli_home, COLUMNS="120"), stdout=terminal, stderr=terminal)
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the build ended
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert build.wait(timeout=120) == 0
    text = output.decode()
    assert "\rpatient" in text and "\033[K" in text
    patients = his.scalar("SELECT COUNT(*) FROM {PAT_MASTER_INDEX}")
    assert "█" * 30 + " 100%" in text and f"{patients:,}/{patients:,}" in text
    assert text.strip().splitlines()[-1].strip().endswith(".llsnap")


def test_a_failed_build_exits_non_zero_naming_entity_and_key(his, cli_home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(his.mapping_path.read_text().replace(
        "RETAIL_PRICE AS price", "CASE WHEN DRUG_CODE = 'Y000007' THEN 'abc' ELSE RETAIL_PRICE END AS price"))
    done = lifeline(cli_home, "snapshot", "build", "--mapping", bad)
    assert done.returncode == 1
    assert done.stderr.endswith("快照构建失败：drug Y000007: price: 'abc' 不是数字\n上一个完好的包仍为已发布：尚无\n")
    assert "drug.price" in done.stdout and "构建失败" in done.stdout and "/continuity/builds/" in done.stdout
    assert not done.stdout.strip().endswith(".llsnap")


def test_verify_prints_the_manifest_and_exits_zero_only_when_good(his, cli_home, tmp_path):
    path = lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path).stdout.strip().splitlines()[-1]
    good = lifeline(cli_home, "snapshot", "verify", path)
    assert good.returncode == 0, good.stderr
    assert "类型: 全量" in good.stdout and f"HIS: {his.mapping.his}" in good.stdout
    assert "实体" in good.stdout and "校验通过：签名、解密、行数和校验和均正确" in good.stdout
    patient = next(line for line in good.stdout.splitlines() if line.startswith("patient "))
    patients = f"{his.scalar('SELECT COUNT(*) FROM {PAT_MASTER_INDEX}'):,}"
    assert patient.split()[:5] == ["patient", "full", patients, "0", patients]

    english = lifeline(cli_home, "snapshot", "verify", path, LIFELINE_LANGUAGE="en")
    assert "Kind: full" in english.stdout and "is good: signature, decryption" in english.stdout

    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.llsnap"
    damaged.write_bytes(bytes(data))
    bad = lifeline(cli_home, "snapshot", "verify", damaged)
    assert bad.returncode == 1 and "校验未通过：the signature does not match" in bad.stderr

    assert lifeline(cli_home, "snapshot", "verify", tmp_path / "nothing.llsnap").returncode == 1


def test_list_shows_the_chains_and_the_builds(his, cli_home):
    lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path)
    lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path, "--incremental")
    listed = lifeline(cli_home, "snapshot", "list").stdout
    assert "链 1 （最新：工作站获取此链）" in listed and "最近的构建：" in listed
    chain = listed.split("最近的构建：")[0]
    assert chain.count(".llsnap") == 2 and "全量" in chain and "增量" in chain
    assert listed.count("已发布") == 2
