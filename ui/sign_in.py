"""The sign-in page served instead of Gradio's (issue 16): Gradio's own is a Svelte
component with two text boxes and a button outside any HTML form, so password managers
neither fill nor save it, and its labels are English.

This one is a plain ``<form>`` that posts to Gradio's ``POST /login`` (which checks the
password through ``UserTable.sign_in`` and sets the session cookie); ``HttpGuard``
(``ui/auth.py``) serves it and turns Gradio's JSON answer to that post into a redirect to
the app or this page again with the reason. No script, nothing fetched from elsewhere,
system fonts, readable on a phone."""

from __future__ import annotations

from html import escape

from assistant.core.messages import message
from ui.style import FONTS

# The marker on the form's action: Gradio's /login answers API clients in JSON; only posts
# from this form are turned into a page or a redirect.
FORM_QUERY = "form=1"
# Nothing but this page's own inline style, and forms posting to this site only.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")

STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #f6f7f9; --card: #fff;
  --line: #c9ced6; --accent: #1d4ed8; --error: #b42318; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8eb; --bg: #111418; --card: #1b1f24; --line: #3d444d;
    --accent: #7aa2ff; --error: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: flex-start;
  justify-content: center; background: var(--bg); color: var(--fg);
  font: 16px/1.5 FONTS; }
main { width: 100%; max-width: 26rem; margin: 8vh 1rem 2rem; padding: 1.5rem;
  background: var(--card); border: 1px solid var(--line); border-radius: 12px; }
h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
p { margin: 0 0 1rem; }
.note { font-size: .9rem; opacity: .85; }
.error { color: var(--error); font-weight: 600; }
label { display: block; font-weight: 600; margin: 0 0 .25rem; }
input { display: block; width: 100%; font: inherit; padding: .6rem .7rem; margin: 0 0 1rem;
  color: inherit; background: transparent; border: 1px solid var(--line);
  border-radius: 8px; }
input:focus, button:focus { outline: 2px solid var(--accent); outline-offset: 2px; }
button { width: 100%; font: inherit; font-weight: 600; padding: .65rem; border: 0;
  border-radius: 8px; background: var(--accent); color: #fff; cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #111418; } }
""".replace("FONTS", ", ".join(f'"{font}"' if " " in font else font for font in FONTS))


def sign_in_page(lang: str, note: str, error: str = "", username: str = "") -> bytes:
    """The page, in ``lang``: the app's title, ``note`` (what to do, the lock-out rule),
    ``error`` (why the last attempt was refused) and the form, ``username`` filled in."""
    text = {key: escape(message(key, lang), quote=False)
            for key in ("ui_title", "ui_sign_in", "ui_username", "ui_password")}
    alert = (f'<p class="error" role="alert" id="sign-in-error">{escape(error, quote=False)}</p>'
             if error else "")
    focus_name = "" if username else " autofocus"
    focus_password = " autofocus" if username else ""
    page = f"""<!doctype html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text["ui_sign_in"]} · {text["ui_title"]}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{text["ui_title"]}</h1>
<p class="note">{escape(note, quote=False)}</p>
{alert}
<form id="sign-in" method="post" action="login?{FORM_QUERY}">
<label for="username">{text["ui_username"]}</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none"
 spellcheck="false" required value="{escape(username)}"{focus_name}>
<label for="password">{text["ui_password"]}</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required{focus_password}>
<button type="submit">{text["ui_sign_in"]}</button>
</form>
</main>
</body>
</html>
"""
    return page.encode("utf-8")
