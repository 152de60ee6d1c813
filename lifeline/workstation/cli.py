"""`lifeline station pull|serve`: the emergency workstation's own entry point.

lifeline/cli.py hands the workstation's actions (ACTIONS) over before Django is set up: a
workstation has no server settings, no database and no Django; it holds a data directory, the
station's token and the station's copy of the keys.

    lifeline station pull --server URL --dir DIR --keys FILE   (token: LIFELINE_STATION_TOKEN or --token)
    lifeline station serve --dir DIR ...                        (serve.py: the station's pages)
    lifeline station send --server URL --dir DIR --keys FILE   (send.py: the journal back to the server)
    lifeline station export --to USBDIR --dir DIR --keys FILE  (usb.py: the journal as one signed file)

Messages are in LIFELINE_LANGUAGE (default zh_Hans, as on the server), from the same catalog.
"""
import argparse
import gettext
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from lifeline.his import wording
from lifeline.his.wording import gettext as _
from lifeline.package.keys import KeyStore, KeyStoreError
from lifeline.workstation import pull, send, store, usb

LOCALE = Path(__file__).resolve().parents[1] / "locale"
ACTIONS = {"pull", "serve", "send", "export"}


class Refused(Exception):
    """The action cannot run as asked; the message says why."""


def speak(language: str):
    """Translate messages with the server's compiled catalog; English msgids without one."""
    try:
        catalog = gettext.translation("django", LOCALE, languages=[language.replace("-", "_").replace("hans", "Hans")])
    except OSError:
        return
    wording.use(catalog.gettext)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lifeline station", description="The emergency workstation (应急工作站).")
    actions = top.add_subparsers(dest="action", required=True)
    pulling = actions.add_parser("pull", help="download the newest chain (resuming), verify and apply it into "
                                              "DIR/base.sqlite3, check in; prints the path last")
    pulling.add_argument("--server", required=True, help="Lifeline's address, e.g. https://lifeline.hospital")
    pulling.add_argument("--token", default=os.environ.get("LIFELINE_STATION_TOKEN"),
                         help="the station's token (default: LIFELINE_STATION_TOKEN, which keeps it out of the "
                              "process list)")
    pulling.add_argument("--dir", required=True, type=Path, help="the station's data directory")
    pulling.add_argument("--keys", required=True, type=Path,
                         help="the station's key file (`lifeline station keys --out FILE` on the server)")
    pulling.set_defaults(run=run_pull)
    sending = actions.add_parser("send", help="send the journal's events the server does not hold yet back to it "
                                              "(resumable; tries again after a refusal)")
    sending.add_argument("--server", required=True, help="Lifeline's address, e.g. https://lifeline.hospital")
    _station_arguments(sending)
    sending.set_defaults(run=run_send)
    exporting = actions.add_parser("export", help="write the whole journal to a USB stick as one encrypted, signed "
                                                  "file, read back before it says done; prints its path last")
    exporting.add_argument("--to", required=True, type=Path, help="the directory to write it to (the USB stick)")
    _station_arguments(exporting)
    exporting.add_argument("--station", default="", help="the station's code (default: the directory's name)")
    exporting.set_defaults(run=run_export)
    return top


def _station_arguments(action):
    action.add_argument("--token", default=os.environ.get("LIFELINE_STATION_TOKEN"),
                        help="the station's token (default: LIFELINE_STATION_TOKEN)")
    action.add_argument("--dir", required=True, type=Path, help="the station's data directory")
    action.add_argument("--keys", required=True, type=Path, help="the station's key file")


def run_pull(options, say):
    if not options.token:
        raise Refused(_("--token: the station's token is needed (or LIFELINE_STATION_TOKEN)"))
    try:
        base = pull.pull(pull.Server(options.server, options.token), options.dir, KeyStore(file=options.keys),
                         say=say)
    except (pull.PullFailed, KeyStoreError) as failed:
        raise Refused(str(failed)) from None
    say(str(base))


def run_send(options, say):
    if not options.token:
        raise Refused(_("--token: the station's token is needed (or LIFELINE_STATION_TOKEN)"))
    try:
        sent = send.send(pull.Server(options.server, options.token), options.dir, store.data_key(options.keys),
                         say=say)
    except (send.SendFailed, send.SendRefused, store.WrongKey, OSError) as failed:
        raise Refused(str(failed)) from None
    say(_("the server holds %(seq)d of the %(held)d events of this station") % {"seq": sent.server_seq,
                                                                              "held": sent.held})


def run_export(options, say):
    if not options.token:
        raise Refused(_("--token: the station's token is needed to sign the file (or LIFELINE_STATION_TOKEN)"))
    try:
        exported = usb.export(options.dir, KeyStore(file=options.keys), options.token, options.to,
                              options.station or options.dir.resolve().name, datetime.now(UTC), say=say)
    except (usb.ExportFailed, KeyStoreError, store.WrongKey, OSError) as failed:
        raise Refused(str(failed)) from None
    say(_("exported %(count)d events (up to sequence number %(seq)d), read back and verified:") % {
        "count": exported.events, "seq": exported.head_seq})
    say(str(exported.path))


def main(argv: list[str]) -> int:
    """Run `lifeline station <argv>`; the exit code (1 and the reason on stderr when refused)."""
    if argv[:1] == ["serve"]:
        from lifeline.workstation import serve

        return serve.main(argv[1:])
    speak(os.environ.get("LIFELINE_LANGUAGE", "zh_Hans"))
    options = parser().parse_args(argv)
    try:
        options.run(options, say=_say)
    except Refused as refused:
        print(refused, file=sys.stderr)
        return 1
    return 0


def _say(text: str):
    print(text, flush=True)
