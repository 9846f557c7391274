"""The Live page's preview of the customer notice: what the public reads right now."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from monitors.config import Settings
from monitors.config_notice import Notice
from monitors.output.notice import notice_from_board
from monitors.output.notice_render import FILES, render_html, render_svg

LABELS = {"working": "all channels working", "slow": "some channels may be slow",
          "affected": "some channels affected"}


def notice_ui(settings: Settings, board: pd.DataFrame, outages: Sequence) -> None:
    """A closed expander with the notice as a website shows it (only when a [notice] table
    is configured), and where the sampler writes it."""
    config = settings.config.notice
    if config == Notice():
        return
    notice = notice_from_board(board.to_dict("records"), outages, settings.platforms, config,
                               business_name=settings.business.name)
    with st.expander(f"Customer notice — {LABELS[notice.state]}", expanded=False,
                     icon=":material/campaign:"):
        # a sandboxed iframe, as on the website: the notice's own CSS stays inside it
        components.html(render_html(notice), height=64 + 26 * len(notice.items)
                        + (30 if notice.contacts else 0))
        st.image(render_svg(notice))  # an SVG string: shown as an image, never as markup
        where = (f"The sampler writes {', '.join(FILES.values())} to `{config.to}` whenever "
                 "this changes." if config.to else
                 "Not written anywhere yet: set `to` in the [notice] table, or run "
                 "`python -m monitors notice -o DIR`.")
        st.caption(where)
