"""Bulk import and export of the registers a bureau keeps in spreadsheets (CSV and XLSX)."""
