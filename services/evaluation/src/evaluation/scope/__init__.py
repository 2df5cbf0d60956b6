"""评估范围规则: a county's scope rules of domain.md §5.1, with no national default."""
