"""Platform Pulse dashboard (Streamlit): wiring of widgets only; logic lives in monitors/."""

import streamlit as st

from monitors.config import load_settings

st.set_page_config(page_title="Platform Pulse", page_icon="📶", layout="wide")
settings = load_settings()
st.title("Platform Pulse")
st.caption(f"Monitoring {len(settings.platforms)} platforms · config: {settings.source}")
