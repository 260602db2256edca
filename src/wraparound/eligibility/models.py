"""Eligibility rules (CEL) and their dated parameters."""
