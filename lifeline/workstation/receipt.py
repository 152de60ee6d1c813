"""The code on a charge's receipt (its QR code), which a pharmacy at another station scans to
dispense the charge without a network: the charge number, the card and the charged lines.

    text = receipt.code(event)          # printed as a QR code on the receipt
    slip = receipt.read(text)           # at the pharmacy: pharmacy.dispense(…, receipt=slip)

The text is `LLRC1:` and the charge's canonical JSON in base64url. It is not signed: a
pharmacist checks the paper receipt against the screen, as on paper; the dispensing event
names the charge and its station, and merge-back matches it with the charge.
"""
import base64
import binascii
import json

from lifeline.his.wording import gettext as _
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import Event, canonical_json

PREFIX = "LLRC1:"
_LINE = ("item_kind", "item_code", "quantity")


def code(event: Event) -> str:
    """The receipt code of a charge event."""
    p = event.payload
    slip = {"station": event.station, "event_id": event.event_id, "charge_no": p["charge_no"],
            "card_no": p["card_no"], "lines": [{k: line[k] for k in _LINE} for line in p["lines"]]}
    return PREFIX + base64.urlsafe_b64encode(canonical_json(slip).encode()).decode().rstrip("=")


def read(text: str) -> dict:
    """The slip in a scanned receipt code; refused (field "code") when it is not one."""
    text = str(text or "").strip()
    if not text.startswith(PREFIX):
        raise StationRefused("code", _("this is not the code of a Lifeline receipt"))
    body = text[len(PREFIX):]
    try:
        slip = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        ok = (isinstance(slip, dict) and all(isinstance(slip.get(k), str) for k in ("charge_no", "card_no"))
              and isinstance(slip.get("lines"), list) and all(isinstance(line, dict) for line in slip["lines"]))
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        raise StationRefused("code", _("the receipt code is damaged: scan it again or type the charge number"))
    return slip
