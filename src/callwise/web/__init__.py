"""The service: REST API under /api/v1 for dialers, CRM systems and the dashboard (``callwise serve``)."""
