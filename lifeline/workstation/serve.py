"""`lifeline station serve --dir DIR [--bind ADDR] [--keys FILE]`: the emergency workstation's
pages, served by this PC (127.0.0.1 by default) or, with --bind on the LAN, to a whole floor's
browsers (seed 003's 门诊应急服务器): one codebase, both modes.

Runs the same WSGI server as `lifeline serve` (gunicorn) on the workstation's own Django project
(`lifeline.workstation.settings`): no server, no database, no network needed once DIR holds a
package. Until the station command dispatches `serve`, run `python -m lifeline.workstation.serve`.
"""
import argparse
import os
import sys
from pathlib import Path

DEFAULT_BIND = "127.0.0.1:8765"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lifeline station serve", description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True, type=Path, help="the station's directory (as for station pull)")
    p.add_argument("--bind", default=DEFAULT_BIND, help=f"address:port to serve on (default {DEFAULT_BIND})")
    p.add_argument("--keys", type=Path, help="the station's key store file (default DIR/station-keys.json)")
    p.add_argument("--station", default="", help="the station's code in its events (default: the directory's name)")
    p.add_argument("--workers", type=int, default=2, help="web worker processes (default 2)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    directory = args.dir.resolve()
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
    os.execve(sys.executable, [sys.executable, "-m", "gunicorn", "lifeline.workstation.web.wsgi:application",
                               "--bind", args.bind, "--workers", str(args.workers), "--timeout", "60",
                               "--access-logfile", "-"], env)


if __name__ == "__main__":
    main()
