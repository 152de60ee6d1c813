"""Sending back (回写): a station sends its journal to the server (under /api/v1/continuity).

    GET  stations/journal   the station's journal as the server holds it: head seq and hash
    POST stations/journal   {held, events: [...]} at most MAX_BATCH events; answers the new head

Station token only (stations.api.station_auth). A station sends the events after the head it
is answered, in order, batch after batch: a batch cut off is sent again whole and changes
nothing the second time (receiving.receive skips what it holds). A batch that does not continue
the chain is refused with 409, naming the sequence number; nothing of it is stored.
"""
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from lifeline.core.actor import acting_as
from lifeline.core.errors import Refused
from lifeline.recovery import receiving
from lifeline.recovery.models import ReceivedEvent
from lifeline.stations.api import station_auth

router = Router(tags=["continuity"])
MAX_BATCH = 500  # events per request: a few hundred KB, well under the body limit


class JournalIn(Schema):
    held: int = Field(ge=0, description="how many events the station's journal holds in all")
    events: list[dict] = Field(description=f"journal events in sequence order (lifeline.workstation.journal.Event "
                                           f"fields), at most {MAX_BATCH}")


class HeadOut(Schema):
    seq: int = Field(description="the last sequence number the server holds of this station (0: none)")
    hash: str = Field(description="that event's hash: the next event's previous hash")
    received: int = Field(0, description="events of this request stored now")
    duplicates: int = Field(0, description="events of this request the server held already")


@router.get("/stations/journal", auth=station_auth, response=HeadOut, url_name="continuity_journal_head",
            summary="The head of the station's journal as the server holds it: send what follows")
def journal_head(request):
    seq, hash_ = receiving.head(request.auth)
    return {"seq": seq, "hash": hash_}


@router.post("/stations/journal", auth=station_auth, response=HeadOut, url_name="continuity_journal",
             summary="Send journal events back: stored once each, only if they continue the station's chain")
def send_journal(request, payload: JournalIn):
    """200 with the new head; 409 naming the sequence number when the events do not continue the
    chain the server holds (a gap, a reorder, an edited event); 413 for more than MAX_BATCH events."""
    if len(payload.events) > MAX_BATCH:
        raise Refused("events", _("at most %(max)d events per request, not %(count)d: send the rest in the next")
                      % {"max": MAX_BATCH, "count": len(payload.events)}, status=413)
    with acting_as(f"station:{request.auth.name}"[:150]):
        receipt = receiving.receive(request.auth, payload.events, ReceivedEvent.Via.NETWORK, held=payload.held)
    return {"seq": receipt.head_seq, "hash": receipt.head_hash, "received": receipt.received,
            "duplicates": receipt.duplicates}
