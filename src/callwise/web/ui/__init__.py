"""The dashboard: server-rendered pages (Jinja2 + HTMX + ECharts) beside the API, for people signed in."""
