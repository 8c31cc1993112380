"""PII protection and access control: masking, field encryption, look-up hashes, passwords, RBAC, bearer tokens,
and the hash chain of the audit log. Plain functions and classes, no web or database framework inside."""
