"""The figures' rules on plain entries (no database)."""
from datetime import UTC, datetime
from decimal import Decimal

from lifeline.reconciliation.figures import Entry, compute


def entry(seq, kind, payload, operator="C01"):
    return Entry("S1", seq, f"e{seq}", operator, datetime(2026, 11, 22, 9, seq, tzinfo=UTC), kind, payload)


def test_a_refund_counts_against_the_charges_cashier_whoever_refunds():
    found = compute([entry(1, "charge", {"charge_no": "K1", "invoice_no": 1, "total": "9.80", "payment_method": "cash",
                                         "lines": []}),
                     entry(2, "refund", {"charge_no": "K1", "amount": "9.80"}, operator="C09")])

    assert [(t.cashier, t.net, t.during["cash"].refunded) for t in found.takings] == [
        ("C01", Decimal("0.00"), Decimal("9.80"))]


def test_gaps_are_missing_numbers_between_used_ones_unless_another_range_starts():
    charges = [entry(i, "charge", {"charge_no": f"K{n}", "invoice_no": n, "total": "1", "payment_method": "cash"})
               for i, n in enumerate((10, 11, 14, 20, 30), start=2)]
    found = compute(charges + [entry(1, "invoice_number_set", {"invoice_no": 10, "range_id": "R1"}),
                               entry(4, "invoice_number_set", {"invoice_no": 14, "range_id": "R1"}),
                               entry(6, "invoice_number_set", {"invoice_no": 30, "range_id": "R2"})])

    assert found.invoices[0].gaps == [(12, 13), (15, 19)]  # 14 was set in the same range: 12-13 skipped
