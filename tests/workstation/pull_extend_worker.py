"""A station pull killed while it extends its base data: `python -m tests.workstation.pull_extend_worker
DIR KEYS LISTING`, LISTING a JSON file {"paths": the chain's files in DIR/packages, "chain": the
server's listing of it}. Prints "start", then applies the chain as `pull` does, pausing at every
step (copying the base data held, each incremental and its search tables, the totals, putting
the new base data in place, writing holding.json) so the test's kill -9 lands in the middle."""
import json
import os
import sys
import time
from pathlib import Path

from lifeline.package import applying
from lifeline.package.keys import KeyStore
from lifeline.workstation import basedata, pull, search

PAUSE = 0.1


def paused(function):
    def slow(*args, **kwargs):
        time.sleep(PAUSE)
        done = function(*args, **kwargs)
        time.sleep(PAUSE)
        return done
    return slow


def main(directory: Path, keys: Path, listing: Path):
    given = json.loads(listing.read_text())
    applying._apply_one = paused(applying._apply_one)
    applying._check_totals = paused(applying._check_totals)
    search.refresh = paused(search.refresh)
    basedata.shutil.copyfile = paused(basedata.shutil.copyfile)
    pull.os.replace = paused(os.replace)
    pull._write = paused(pull._write)
    print("start", flush=True)
    pull._apply([Path(p) for p in given["paths"]], given["chain"], directory, KeyStore(file=keys), print)
    print("done", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
