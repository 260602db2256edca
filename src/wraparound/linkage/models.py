"""The master client index: agencies' source records of people, and how they link."""
