"""划片: attendance zones per county, level and school year, versioned, with point lookup."""
