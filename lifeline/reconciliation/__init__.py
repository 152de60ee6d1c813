"""对账: reconciliation of a downtime after the merge-back (cashiers' takings, invoice numbers,
pharmacy, temporary patients, insurance to re-settle), paper back-entry (补录) and the command
centre's sign-off, which goes into the incident's fault analysis."""
