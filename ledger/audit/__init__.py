"""Audits: replaying the whole log to check that nobody rewrote it.

``store.audit_store`` reads the database itself; ``remote.compare_rule_states`` rebuilds rule
states from a log a client exported (and verified with ``ledger_api.verify``) and compares
them with a server's answers.
"""
