"""Open Referral HSDS 3.0: the table definitions, JSON and CSV import and export."""
