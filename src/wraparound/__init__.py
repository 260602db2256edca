"""Wraparound: integrated social service delivery."""
