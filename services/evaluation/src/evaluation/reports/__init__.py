"""资源配置报告: HTML, PDF and XLSX reports of a stored assessment."""
