"""Output: charts (plotly), tiles, labels, tables, CSV, the meeting report, the dashboard's
access gate.

May use: analysis, history and the shared vocabulary; never sampling, alerts or cli, never
streamlit.
"""
