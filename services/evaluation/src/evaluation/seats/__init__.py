"""Entry-grade seat plans per school, level and year, kept from enrollment\x27s events."""
