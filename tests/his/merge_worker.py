"""A merge-back writer in its own process, for the kill test (tests/his/test_writer_kill.py):

    python -m tests.his.merge_worker MAPPING CHANGES BATCH STOP_AT

applies the pickled changes in batches of BATCH. With STOP_AT > 0 it counts its database steps
(each statement sent, each commit) and at the STOP_AT-th, before it happens, prints "stopped"
and waits there to be killed; a run that ends first prints "done" and its number of steps.
"""
import pickle
import sys
from pathlib import Path

import sqlalchemy as sa

from lifeline.his import mapping
from lifeline.his.writer import Writer


def main(mapping_path: str, changes_path: str, batch: int, stop_at: int):
    writer = Writer(mapping.load(mapping_path))
    writer.ensure_ledger()
    changes = pickle.loads(Path(changes_path).read_bytes())
    steps = 0

    def step(*_args):
        nonlocal steps
        steps += 1
        if steps == stop_at:
            print("stopped", flush=True)
            sys.stdin.read()  # until killed

    sa.event.listen(writer.engine, "before_cursor_execute", step)
    sa.event.listen(writer.engine, "commit", step)
    for start in range(0, len(changes), batch):
        writer.apply(changes[start:start + batch])
    print("done", steps, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
