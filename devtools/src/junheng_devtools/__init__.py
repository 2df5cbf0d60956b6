"""Junheng on one machine: the launchers of `make run` (`system`: SQLite, one nats-server, one
process per service) and `make cluster` (`cluster`: the production topology as plain
processes), the demo county's loaders through the gateway (`demo`; its roster and intake invented by
`demo_roster`, `demo_enrollment`) and the banner.

Unlike `junheng_kit` (plumbing every service imports, which imports no service) this package
may import the services: it drives them as a bureau would.
"""
