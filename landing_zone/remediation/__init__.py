"""Automatic remediation of high-risk findings: the playbook table and what derives from it."""
