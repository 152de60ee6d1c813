"""Sending the journal back (回写): `lifeline station send`, and each round of `station serve`.

    sent = send.send(Server(url, token), directory, key, say=print)

asks the server for the head of this station's journal as it holds it (GET stations/journal),
checks the station holds that very event, then sends the events after it in batches of BATCH
(POST stations/journal), each answered with the new head. Resumable and idempotent: a batch
cut off is sent again after asking the head anew; the server stores each event once.

A refusal (the server finds a gap, a reorder or an edited event, or holds another chain for
this station) is not retried blindly: it is written to DIR/send.json (`status`), for the log
and a banner on the station's pages, and the serve loop holds sending back (`held_back`) until
someone runs `lifeline station send` by hand, which tries again and clears it once it passes.
An unreachable server is only said: the next round tries again.

Django-free: the journal, the station's store and the pull's Server.
"""
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from lifeline.his.wording import gettext as _
from lifeline.workstation.journal import READY, InForce, Journal
from lifeline.workstation.pull import API, Interrupted, PullFailed, Server
from lifeline.workstation.station import JOURNAL

BATCH = 200  # events per request (the server takes at most 500)
ATTEMPTS = 3
STATUS = "send.json"
SENT, REFUSED, UNREACHABLE = "sent", "refused", "unreachable"


class SendFailed(Exception):
    """Nothing more could be sent now (the network, the server down): the next round continues."""


class SendRefused(Exception):
    """The server refused the events, or holds another chain for this station; says why."""


@dataclass(frozen=True)
class Sent:
    held: int  # events the station holds
    server_seq: int  # the last the server holds now
    sent: int  # events the server stored in this run


def send(server: Server, directory: Path, key: bytes, say=lambda text: None, batch: int = BATCH,
         attempts: int = ATTEMPTS) -> Sent:
    """Send every event after the server's head; Sent, or SendFailed / SendRefused (recorded in
    DIR/send.json either way)."""
    directory = Path(directory)
    journal = Journal.open(directory / JOURNAL, key, InForce(directory.name, "", "", READY), _now)
    try:
        sent = _send(server, journal, say, batch, attempts)
    except SendRefused as refused:
        _write_status(directory, REFUSED, str(refused), held=journal.count())
        say(_("sending back refused: %s") % refused)
        raise
    except SendFailed as failed:
        _write_status(directory, UNREACHABLE, str(failed), held=journal.count())
        raise
    finally:
        journal.close()
    _write_status(directory, SENT, "", held=sent.held, server_seq=sent.server_seq)
    return sent


def _send(server: Server, journal: Journal, say, batch: int, attempts: int) -> Sent:
    """Batches until the server holds every event; at least one request, so the server hears
    how many events the station holds even when it has nothing new."""
    head, stored, failures, reported = None, 0, 0, False
    while True:
        try:
            head = head or _head(server, journal)
            held = journal.count()
            events = [asdict(e) for e in islice(journal.events(head[0]), batch)]
            if not events and reported:
                return Sent(held, head[0], stored)
            answer = server.json(API + "stations/journal", body={"held": held, "events": events})
        except Interrupted as broken:
            failures += 1
            if failures >= attempts:
                raise SendFailed(_("sending back interrupted: %s; the next round continues") % broken) from None
            say(_("interrupted (%s); asking the server where to continue") % broken)
            head = None
            continue
        except PullFailed as failed:
            if failed.status == 413 and len(events) > 1:  # too large a body (big events): smaller batches
                batch = max(len(events) // 2, 1)
                continue
            if failed.status is not None and 400 <= failed.status < 500 and failed.status != 401:
                raise SendRefused(str(failed)) from None
            raise SendFailed(str(failed)) from None
        reported, head = True, (answer["seq"], answer["hash"])
        stored += answer["received"]
        if events:
            say(_("sent events %(first)d-%(last)d: the server holds up to %(seq)d") % {
                "first": events[0]["seq"], "last": events[-1]["seq"], "seq": answer["seq"]})


def _head(server: Server, journal: Journal) -> tuple[int, str]:
    """The server's head, checked against this journal: the station must hold that very event."""
    head = server.json(API + "stations/journal")
    seq, hash_ = head["seq"], head["hash"]
    if seq == 0:
        return seq, hash_
    mine = journal.db.execute("SELECT hash FROM journal WHERE seq = ?", (seq,)).fetchone()
    if mine is None:
        raise SendRefused(_("the server holds %(seq)d events of this station, this station only %(held)d: another "
                            "station's token, or a journal that was replaced; call IT") % {
            "seq": seq, "held": journal.count()})
    if mine[0] != hash_:
        raise SendRefused(_("sequence number %(seq)d: the server holds another event there than this station: the "
                            "journal was changed or replaced; call IT") % {"seq": seq})
    return seq, hash_


def status(directory: Path) -> dict | None:
    """What the last send said: {"state": sent|refused|unreachable, "message", "at", "held",
    "server_seq"}; None before the first. The station's pages show a refusal as a banner."""
    try:
        return json.loads((Path(directory) / STATUS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def held_back(directory: Path) -> str:
    """Why the serve loop does not send now ("" when it may): a refusal stands until a send by
    hand passes."""
    found = status(directory)
    return found["message"] if found and found.get("state") == REFUSED else ""


def _write_status(directory: Path, state: str, message: str, *, held: int, server_seq: int | None = None):
    path = directory / STATUS
    temp = path.with_name(f".{STATUS}.tmp")
    temp.write_text(json.dumps({"state": state, "message": message, "at": _now().isoformat(), "held": held,
                                "server_seq": server_seq}, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)


def _now() -> datetime:
    return datetime.now(UTC)
