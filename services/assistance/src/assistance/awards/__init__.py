"""Award workflow (资助认定与发放), one sub-package per aggregate: `awards` (the award, its
history and the one transition), `publicity` (公示), `objections`, `approval` (县级审批),
`disbursement` (资金发放), `notices` (资格变动), `transfers` (异地转学), `calendar` (工作日历).
services/assistance/README.md maps the old flat modules onto them."""
