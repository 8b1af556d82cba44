"""Web interface (Gradio chat, issue 3).

It will call ``assistant.service`` and hold no pipeline logic.
"""
