"""The station's own rows, beside its journal in DIR/station.sqlite3: what the desks look up
(a visit to charge, a charge to dispense, stock left). Each is written in the transaction of
the event that speaks for it (`journal`), so rows and events always agree; the journal is the
record that travels (merge-back), these rows are the station's working copy."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS new_patients (
    card_no TEXT PRIMARY KEY, name TEXT NOT NULL, sex TEXT NOT NULL, birth_date TEXT NOT NULL,
    id_card_no TEXT, phone TEXT, insurance_type TEXT, insurance_no TEXT, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS visits (
    visit_no TEXT PRIMARY KEY, card_no TEXT NOT NULL, schedule_id TEXT, department_code TEXT NOT NULL,
    doctor_code TEXT, fee TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cashier_invoices (
    cashier_code TEXT PRIMARY KEY, range_id TEXT NOT NULL, next_no INTEGER NOT NULL, last_no INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS charges (
    charge_no TEXT PRIMARY KEY, invoice_no INTEGER NOT NULL UNIQUE, card_no TEXT NOT NULL, visit_no TEXT,
    total TEXT NOT NULL, payment_method TEXT NOT NULL, insurance_no TEXT, insurance_unit TEXT,
    settlement TEXT NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS charge_lines (
    charge_no TEXT NOT NULL, line INTEGER NOT NULL, item_kind TEXT NOT NULL, item_code TEXT NOT NULL,
    quantity TEXT NOT NULL, unit_price TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (charge_no, line)
);
CREATE TABLE IF NOT EXISTS prescriptions (
    presc_no TEXT PRIMARY KEY, visit_no TEXT NOT NULL, card_no TEXT NOT NULL, doctor_code TEXT NOT NULL,
    pharmacy_code TEXT NOT NULL, seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stock_moves (
    seq INTEGER NOT NULL, pharmacy_code TEXT NOT NULL, drug_code TEXT NOT NULL, quantity TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stock_moves_drug ON stock_moves (pharmacy_code, drug_code);
CREATE TABLE IF NOT EXISTS dispensings (
    slip TEXT PRIMARY KEY, seq INTEGER NOT NULL
);
"""
