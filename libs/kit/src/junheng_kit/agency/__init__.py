"""The agency data-exchange protocol's shared part (docs/agency-protocol.md): lawful-basis
checks, answer signature checks, the circuit breaker and the connector (`connector`), and the
hash-chained lookup ledger (`ledger`). Assistance (民政/残联/乡村振兴/农牧) and enrollment
(户籍/居住证/不动产/社保) both speak it."""
