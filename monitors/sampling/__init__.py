"""Sampling: one round (runner), the scheduler, heartbeat, dead-man's switch, /metrics.

May use: history, probes and the shared vocabulary; never analysis, output, alerts or cli.
"""
