"""Simulators of partner agencies' systems; see simulators/README.md."""
