"""Platform Pulse: a self-hosted monitor of social-media outages and their business impact."""

__version__ = "0.1.0"
