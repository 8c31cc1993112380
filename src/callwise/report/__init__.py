"""Reports people read: single-file HTML with inline SVG charts, in zh-CN and English."""

from callwise.report.render import render_list_report, render_model_report, write_list_reports

__all__ = ["render_list_report", "render_model_report", "write_list_reports"]
