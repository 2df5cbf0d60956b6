"""Multi-year trends per county and city/province roll-ups, read from assessment summaries."""
