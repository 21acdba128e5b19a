"""Briefing rendering (HTML + PDF) from the warehouse; reads only."""

from pipeline.reports.briefing import render_briefing

__all__ = ["render_briefing"]
