"""The dashboard's pages (Streamlit): widgets wired to monitors/, which computes everything."""
