"""`lifeline station serve --dir DIR [--bind ADDR] [--keys FILE]`: the emergency workstation's
pages, served by this PC (127.0.0.1 by default) or, with --bind on the LAN, to a whole floor's
browsers (seed 003's 门诊应急服务器): one codebase, both modes.

Runs the same WSGI server as `lifeline serve` (gunicorn) on the workstation's own Django project
(`lifeline.workstation.settings`): no server, no database, no network needed once DIR holds a
package. Also `python -m lifeline.workstation.serve`.

With --server (and the token, as `station pull` takes them) it keeps pulling newer packages by
itself every --every seconds while the server is reachable, no outside cron: the pages follow
the new package on their next request (`web.desk`). Unreachable, it goes on serving what it holds.
After each pull it sends the journal's new events back (send.py).
"""
import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lifeline.package.keys import KeyStore, KeyStoreError
from lifeline.workstation import pull, send, store
from lifeline.workstation.station import JOURNAL

DEFAULT_BIND = "127.0.0.1:8765"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lifeline station serve", description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True, type=Path, help="the station's directory (as for station pull)")
    p.add_argument("--bind", default=DEFAULT_BIND, help=f"address:port to serve on (default {DEFAULT_BIND})")
    p.add_argument("--keys", type=Path, help="the station's key store file (default DIR/station-keys.json)")
    p.add_argument("--station", default="", help="the station's code in its events (default: the directory's name)")
    p.add_argument("--workers", type=int, default=2, help="web worker processes (default 2)")
    p.add_argument("--server", default="", help="Lifeline's address: keep pulling newer packages from it")
    p.add_argument("--token", default=os.environ.get("LIFELINE_STATION_TOKEN"),
                   help="the station's token (default: LIFELINE_STATION_TOKEN)")
    p.add_argument("--every", type=float, default=30, help="seconds between pulls (default 30)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    directory = args.dir.resolve()
    if args.server:
        directory.mkdir(parents=True, exist_ok=True)  # the first pull fills it; the pages wait for it
    if not directory.is_dir():
        sys.exit(f"--dir: {directory} is not a directory (run station pull first)")
    keys = (args.keys or directory / "station-keys.json").resolve()
    if not keys.is_file():
        sys.exit(f"--keys: {keys} does not exist (the station's key store, as for station pull)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lifeline.workstation.settings",
           "LIFELINE_STATION_DIR": str(directory), "LIFELINE_STATION_KEYS": str(keys),
           "LIFELINE_STATION_CODE": args.station or directory.name}
    print(f"Emergency workstation on http://{args.bind}/ (station {env['LIFELINE_STATION_CODE']}, data in "
          f"{directory})", flush=True)
    command = [sys.executable, "-m", "gunicorn", "lifeline.workstation.web.wsgi:application", "--bind", args.bind,
               "--workers", str(args.workers), "--timeout", "60", "--access-logfile", "-",
               "--no-control-socket"]  # one path per user (~/.gunicorn/): the server's, beside it, would clash
    if not args.server:
        os.execve(sys.executable, command, env)
    if not args.token:
        sys.exit("--token: the station's token is needed to pull (or LIFELINE_STATION_TOKEN)")
    web = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopping serve stops its pages too
    try:
        keep_pulling(args.server, args.token, directory, keys, args.every, web, env["LIFELINE_STATION_CODE"])
    finally:
        web.terminate()
        web.wait()


def keep_pulling(server: str, token: str, directory: Path, keys: Path, every: float, web, station_code: str = ""):
    """Pull while the pages run (each pull also hears the declared mode, renews the number leases
    and fetches the emergency credentials), then send the journal back; a failure is said and
    tried again at the next turn, except a refusal of the journal (send.held_back)."""
    while web.poll() is None:
        try:
            pull.pull(pull.Server(server, token), directory, KeyStore(file=keys), say=_say, station_code=station_code)
        except (pull.PullFailed, KeyStoreError) as failed:
            _say(f"pull failed, serving the package held: {failed}")
        send_back(pull.Server(server, token), directory, keys)
        time.sleep(every)


def send_back(server: pull.Server, directory: Path, keys: Path):
    """Send the journal's new events, unless the server refused them (then say so each round:
    `lifeline station send` by hand tries again)."""
    if not (directory / JOURNAL).is_file():
        return
    refused = send.held_back(directory)
    if refused:
        _say(f"sending back held: the server refused the journal ({refused}); run `lifeline station send` once fixed")
        return
    try:
        send.send(server, directory, store.data_key(keys), say=_say)
    except (send.SendFailed, send.SendRefused, store.WrongKey) as failed:
        _say(f"sending back failed: {failed}")


def _say(text: str):
    print(text, flush=True)


if __name__ == "__main__":
    main()
