"""Analysis: the one verdict rule applied to history, outages, evidence, coverage, uptime,
impact, stored months, loaders, playbooks.

May use: history, probes and the shared vocabulary; never sampling, output, alerts, cli or
streamlit.
"""
