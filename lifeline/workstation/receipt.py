"""The code on a charge's receipt (its QR code), which a pharmacy at another station scans to
dispense the charge without a network: the charge number, the card and the drugs charged,
signed so that a code forged or edited (a quantity raised, a drug added) is refused.

    text = receipt.code(event, keystore)       # printed as a QR code on the receipt
    slip = receipt.read(text, keystore)        # at the pharmacy: pharmacy.dispense(…, receipt=slip)

The text is `LLRC2:<body>.<tag>`: body the slip's canonical JSON in base64url, tag the first 16
bytes of its HMAC-SHA256 in base64url. The HMAC key is derived (HKDF-SHA256, this module's own
context and the key's id) from the secret of a package key in the station's key store, which
every station of the hospital holds and no one else does; the slip names that key (`k`), so a
code signed before a key rotation still reads while the old key is held. Why an HMAC rather than
an Ed25519 signature: a station holds no signing half (keys.py), and a 16-byte tag keeps the
code short (about 160 characters for two drugs: a version 9 QR code, which a cheap scanner
reads off a creased receipt).

Invariant: `read` returns a slip only when the tag verifies with a key this station holds;
otherwise it refuses naming the field `code` and saying which of damaged, edited or another
hospital's it is. Reading writes nothing.
"""
import base64
import binascii
import hmac
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lifeline.his.wording import gettext as _
from lifeline.package.keys import Key, KeyStore, KeyStoreError
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import Event, canonical_json

PREFIX = "LLRC2:"
TAG_BYTES = 16
_CONTEXT = b"lifeline receipt code v1\0"


def _tag(key: Key, body: bytes) -> bytes:
    mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT + key.id.encode()).derive(key.secret)
    return hmac.digest(mac_key, body, "sha256")[:TAG_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def code(event: Event, keystore: KeyStore) -> str:
    """The receipt code of a charge event, signed with the newest key of the station's store."""
    key = keystore.current()
    p = event.payload
    slip = {"k": key.id, "s": event.station, "c": p["charge_no"], "p": p["card_no"],
            "d": [[line["item_code"], str(line["quantity"])] for line in p["lines"] if line["item_kind"] == "drug"]}
    body = canonical_json(slip).encode()
    return f"{PREFIX}{_b64(body)}.{_b64(_tag(key, body))}"


def read(text: str, keystore: KeyStore) -> dict:
    """The slip of a scanned receipt code (station, charge_no, card_no, drug lines); refused
    (field "code") when it is not one, is damaged, was edited or signed with keys not ours."""
    text = str(text or "").strip()
    if not text.startswith(PREFIX):
        raise StationRefused("code", _("this is not the code of a Lifeline receipt"))
    damaged = StationRefused("code", _("the receipt code is damaged: scan it again or type the charge number"))
    try:
        body_text, tag_text = text[len(PREFIX):].split(".")
        body, tag = _unb64(body_text), _unb64(tag_text)
        slip = json.loads(body)
        key_id = slip["k"]
    except (ValueError, binascii.Error, KeyError, TypeError):
        raise damaged from None
    try:
        key = keystore.get(str(key_id))
    except KeyStoreError:
        raise StationRefused("code", _("the receipt code was signed with key %(key)s, which this station does not "
                                       "hold: a receipt of another hospital, not to be dispensed here")
                             % {"key": key_id}) from None
    if not hmac.compare_digest(_tag(key, body), tag):
        raise StationRefused("code", _("the receipt code does not match its signature: it was changed after it was "
                                       "printed or is not genuine; check the paper receipt and type the charge "
                                       "number"))
    try:
        return {"station": str(slip["s"]), "charge_no": str(slip["c"]), "card_no": str(slip["p"]),
                "lines": [{"item_kind": "drug", "item_code": str(drug), "quantity": str(quantity)}
                          for drug, quantity in slip["d"]]}
    except (KeyError, TypeError, ValueError):
        raise damaged from None
