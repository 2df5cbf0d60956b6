"""保存期限与清除: retention rules per kind of record as effective-dated policy data, legal holds,
a scheduled purge that records what it did (rules, models, purge, endpoints, jobs)."""
