"""Savings: handfuls of rice weighed and sold among members, and cash savings."""
