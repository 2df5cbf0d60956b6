"""The gateway's audit trail (junheng_kit.audit): its administrative acts (`acts`) and the
family view of one child's trail across the services (`family`)."""
