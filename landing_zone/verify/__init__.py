"""``make verify``: compare the live organization with what the config synthesizes.

Read-only, with management-account credentials. CloudFormation sees little
of a landing zone's drift: a policy's Content is a string it does not
check, an SCP can be detached in the console, a delegated administrator
changed, a StackSet instance left OUTDATED. Each item is reported ok,
drift (expected against actual) or cannot check (why, and who could).
docs/operations.md describes the checks, the exit codes and the JSON.
"""
