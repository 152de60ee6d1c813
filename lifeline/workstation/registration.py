"""挂号办卡: register a visit to a clinic on the schedule, and issue temporary cards."""
from lifeline.his.canonical import ENTITIES, InvalidValue
from lifeline.his.wording import gettext as _
from lifeline.workstation import numbering, policies
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import Event
from lifeline.workstation.station import Operator, Station, patient

_CARD_FIELDS = [f for f in ENTITIES["patient"].fields if f.name != "card_no"]


def issue_card(station: Station, operator: Operator, details: dict) -> Event:
    """A new patient with a temporary card number (临时病历号) from this station's range; every
    field checked by the canonical model's rules. Returns the event."""
    with station.act(operator, policies.ISSUE_CARD) as tx:
        values = {}
        for field in _CARD_FIELDS:
            try:
                values[field.name] = field.clean(details.get(field.name))
            except InvalidValue as exc:
                raise StationRefused(field.name, str(exc)) from None
        card_no = str(numbering.issue(tx, "card"))
        payload = {"card_no": card_no, "temporary": True, **values}
        event = tx.record("new_patient", operator.code, payload)
        tx.db.execute("INSERT INTO new_patients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (card_no, *(event.payload[f.name] for f in _CARD_FIELDS), event.seq))
        return event


def register_visit(station: Station, operator: Operator, card_no: str, schedule_id: str,
                   free_of_fee: bool = False) -> Event:
    """A visit to the clinic `schedule_id` at the schedule's fee (none when `free_of_fee`: seed
    003 N, a visit registered only to back-enter a prescription). Returns the event."""
    with station.act(operator, policies.REGISTER) as tx:
        patient(station, card_no)
        clinic = station.one("SELECT department_code, doctor_code, fee FROM base.clinic_schedule "
                             "WHERE schedule_id = ?", (schedule_id,))
        if clinic is None:
            raise StationRefused("schedule_id", _("clinic %(id)s is not on the schedule in the snapshot")
                                 % {"id": schedule_id})
        department_code, doctor_code, fee = clinic
        visit_no = str(numbering.issue(tx, "visit"))
        payload = {"visit_no": visit_no, "card_no": card_no, "schedule_id": schedule_id,
                   "department_code": department_code, "doctor_code": doctor_code,
                   "fee": "0.00" if free_of_fee else fee, "free_of_fee": free_of_fee}
        event = tx.record("registration", operator.code, payload)
        tx.db.execute("INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (visit_no, card_no, schedule_id, department_code, doctor_code, payload["fee"], event.seq))
        return event
