"""PII protection: masking (encryption, RBAC and the audit chain come with the operational DB)."""
