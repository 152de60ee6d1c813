"""回写与对账: what the emergency workstations send back (their journals, by network or USB),
merging it into the HIS exactly once (merge runs, conflicts for a person to decide)."""
