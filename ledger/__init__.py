"""Customs policy ledger: an event-sourced, bitemporal record of border customs policy."""
