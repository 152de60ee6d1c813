"""Who may do what at a station: one named policy per desk action, by the role the operator has
in the staff index (canonical STAFF_ROLE). The station's counterpart of the server's
lifeline/accounts/permissions.py, without Django: `Station.act` checks it before anything.

Registration and charging are often one window (挂号收费), so cashiers may register; the
cashier back-enters handwritten prescriptions (seed 003 N); only pharmacists dispense.
"""
REGISTER = "register"
ISSUE_CARD = "issue_card"
SET_INVOICE_NUMBER = "set_invoice_number"
CHARGE = "charge"
CANCEL_CHARGE = "cancel_charge"
ENTER_PRESCRIPTION = "enter_prescription"
DISPENSE = "dispense"

MAY = {
    REGISTER: {"registrar", "cashier"},
    ISSUE_CARD: {"registrar", "cashier"},
    SET_INVOICE_NUMBER: {"cashier"},
    CHARGE: {"cashier"},
    CANCEL_CHARGE: {"cashier"},
    ENTER_PRESCRIPTION: {"cashier"},
    DISPENSE: {"pharmacist"},
}
