"""A build killed with kill -9 while it reads the HIS: the previous package stays published and
verifies, and the next build recovers what the killed one left (builder.recover_interrupted_builds:
its plaintext among it, and its record, marked failed)."""
import os
import signal
import subprocess

import pytest

from lifeline.his import demo_his
from lifeline.package import container
from lifeline.snapshots import builder, publishing, storage
from tests.his.conftest import build_demo
from tests.snapshots.helpers import LIFELINE, applied_rows, assert_same_rows, cli_env, lifeline, source_rows

READING_PATIENTS = "正在读取 patient"


@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, 20_000)


def test_kill_9_mid_build_leaves_the_previous_package_published(his, cli_home, tmp_path):
    full = lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path)
    assert full.returncode == 0, full.stderr
    published = full.stdout.strip().splitlines()[-1]
    assert [str(p.path) for p in builder.latest_chain()] == [published]

    demo_his.churn(his.url, percent=2, seed=21)
    build = subprocess.Popen([LIFELINE, "snapshot", "build", "--mapping", str(his.mapping_path), "--incremental"],
                             env=cli_env(cli_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in build.stdout:
            if line.startswith(READING_PATIENTS):
                os.kill(build.pid, signal.SIGKILL)
                break
        else:
            pytest.fail(f"the build never said it was reading patients: {build.stderr.read()}")
    finally:
        build.wait(timeout=60)
    assert build.returncode == -signal.SIGKILL

    assert [str(p.path) for p in builder.latest_chain()] == [published]
    checked = container.verify(published, storage.keystore(), storage.work_root())
    assert checked.id == os.path.basename(published).removesuffix(".llsnap")
    leftovers = [p for p in (cli_home / "snapshots" / ".work").iterdir() if not p.name.startswith(f"{os.getpid()}-")]
    assert leftovers, "the killed build had a private directory"

    again = lifeline(cli_home, "snapshot", "build", "--mapping", his.mapping_path, "--incremental")
    assert again.returncode == 0, again.stderr
    assert all(not p.exists() for p in leftovers)
    chain = builder.latest_chain()
    assert [str(p.path) for p in chain] == [published, again.stdout.strip().splitlines()[-1]]
    assert sorted(p.name for p in publishing.directory().glob("*.llsnap")) == sorted(p.file for p in chain)
    assert_same_rows(applied_rows(tmp_path), source_rows(his.mapping))

    listed = lifeline(cli_home, "snapshot", "list").stdout
    assert "中断：构建在发布前结束（被终止或崩溃）" in listed
