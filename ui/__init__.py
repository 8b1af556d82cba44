"""The web chat (Gradio): sign-in, safe rendering, the chat and its tabs.
May import: assistant.service and the stages' types and messages; no pipeline logic."""
