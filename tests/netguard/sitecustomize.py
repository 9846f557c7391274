"""Installs the loopback-only network guard in child Python processes of the test suite."""

import os

if os.environ.get("PULSE_NETGUARD") == "1":
    import netguard

    netguard.install()
