"""Gradio, imported offline: no telemetry, no model hub, nothing fetched at run time. Gradio
reads these variables when it is imported, so the web interface imports it from here."""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

__all__ = ["gr"]
