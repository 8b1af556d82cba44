"""The web chat's look (``CSS``, handed to ``launch``) and its few lines of page script
(run by the sources panel and the document viewer when they load): citation links that
scroll to their source card and highlight it, the source cards' "open the document"
buttons, the document viewer scrolled to the cited passage."""

from __future__ import annotations

# System fonts only: Gradio's bundled bold face holds 55 glyphs ("A" and "B" fell back to
# another font), and nothing is fetched from a CDN.
FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Liberation Sans",
         "Helvetica Neue", "Arial", "sans-serif", "Apple Color Emoji", "Segoe UI Emoji",
         "Noto Color Emoji")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono",
              "monospace")

# The sources panel: a click on a source card's button asks the server for the whole
# document; a click on a citation [n] anywhere in the chat scrolls to card n of that
# answer's sources and highlights it (the chatbot's own click shows that answer's sources
# first, so the card is waited for a moment).
SOURCES_JS = r"""
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.open-document');
  if (!button) return;
  trigger('click', {exchange: Number(button.dataset.exchange),
                    number: Number(button.dataset.number)});
});
if (!window.assistantCitations) {
  window.assistantCitations = true;
  // Each [n] of answer k (the k-th assistant message) becomes a link to card n of its
  // sources; the messages' text stays as the server sent it (the copy button copies it).
  const linkCitations = () => {
    document.querySelectorAll('#chatbot [data-testid="bot"]').forEach((bot, exchange) => {
      const walker = document.createTreeWalker(bot, NodeFilter.SHOW_TEXT);
      const found = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (/\[\d+\]/.test(node.nodeValue) && !node.parentElement.closest('a, code, pre')) {
          found.push(node);
        }
      }
      for (const node of found) {
        const parts = node.nodeValue.split(/(\[\d+\])/);
        const pieces = parts.map((part) => {
          const number = /^\[(\d+)\]$/.exec(part);
          if (!number) return document.createTextNode(part);
          const link = document.createElement('a');
          link.className = 'cite';
          link.href = `#cite-${exchange}-${number[1]}`;
          link.textContent = part;
          return link;
        });
        node.replaceWith(...pieces);
      }
    });
  };
  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; linkCitations(); });
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  const mark = (exchange, number, scroll) => {
    const panel = document.querySelector(`#sources .sources[data-exchange="${exchange}"]`);
    const card = panel && panel.querySelector(`#source-${number}`);
    if (!card) return false;
    document.querySelectorAll('#sources .source-active').forEach(
      (other) => { if (other !== card) other.classList.remove('source-active'); });
    card.classList.add('source-active');
    if (scroll) card.scrollIntoView({behavior: 'smooth', block: 'start'});
    return true;
  };
  // The chatbot's own click handler shows that answer's sources: the card is waited for.
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a.cite');
    const found = link && /#cite-(\d+)-(\d+)$/.exec(link.getAttribute('href') || '');
    if (!found) return;
    event.preventDefault();
    const [, exchange, number] = found;
    const started = Date.now();
    let shown = false;
    const attempt = () => {
      const ok = mark(exchange, number, !shown);
      shown = shown || ok;
      // Keep the highlight a moment in case the panel re-renders the same answer.
      if (Date.now() - started < (shown ? 1500 : 5000)) setTimeout(attempt, 100);
    };
    attempt();
  }, true);
}
"""

DOCUMENT_JS = """
const focus = () => {
  const passage = element.querySelector('#doc-focus');
  if (passage) passage.scrollIntoView({block: 'center'});
};
watch('value', focus);
focus();
if (!window.assistantViewerKeys) {  // Escape closes the document
  window.assistantViewerKeys = true;
  document.addEventListener('keydown', (event) => {
    const close = document.querySelector('#document-viewer #document-close');
    if (event.key === 'Escape' && close && close.offsetParent !== null) close.click();
  });
}
"""

CSS = """
/* -- the page ----------------------------------------------------------------------------- */
footer { display: none !important; }
/* Gradio's overflow: hidden makes the container a scroll box that never scrolls, so the
   phone's sticky question box stuck to it (the page's end), not to the screen; clip does
   not. Here, not in the phone's block: Gradio scopes the rules of an @media block to
   elements inside the container. */
.gradio-container { overflow: clip !important; }
#header h2 { margin: 0 0 .2em; }
#header p { margin: 0; }
#language { flex-grow: 0 !important; }

/* -- chat ---------------------------------------------------------------------------------- */
#input-row { align-items: stretch; gap: .5em; }
#input-row > * { min-width: 0 !important; }
#send-button, #stop-button { flex: 0 0 auto !important; width: auto !important;
                             min-width: 7em !important; }
#chat-notice p { color: var(--error-text-color, #b91c1c); margin: .2em 0; }
#chatbot a.cite { text-decoration: none; font-weight: 600; border-radius: 4px;
                  padding: 0 .1em; color: var(--link-text-color, var(--color-accent)); }
#chatbot a.cite:hover, #chatbot a.cite:focus { text-decoration: underline; }
#feedback-row { align-items: center; gap: .5em; flex-wrap: wrap; padding: .3em .6em; }
#feedback-row > * { flex: 0 0 auto !important; width: auto !important; min-width: 0 !important; }
#feedback-row > #feedback-title { flex: 1 1 12em !important; }
#feedback-title p { margin: 0; }

/* -- sources ------------------------------------------------------------------------------- */
#sources .source { border-left: 3px solid var(--color-accent); padding: .2em .5em .4em .75em;
                   margin-bottom: 1em; border-radius: 0 6px 6px 0; scroll-margin-top: 1em;
                   transition: background-color .3s; }
#sources .source h4 { margin: 0 0 .2em; }
#sources .source-active { background: var(--color-accent-soft);
                          outline: 2px solid var(--color-accent); }
#sources .source-meta, #document-viewer .source-meta { font-size: .85em; opacity: .8;
                                                       margin: .2em 0; }
#sources .source-passage { white-space: pre-wrap; font-size: .9em; }
/* Readable in light and dark mode: dark text on the yellow, whatever the theme's text. */
#sources mark, #document-viewer mark { background: #fde68a; color: #1f2937; padding: 0 .1em;
                                       border-radius: 2px; }
#sources .sources-note { font-style: italic; }
#sources button.open-document { margin-top: .3em; font-size: .85em; cursor: pointer;
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-md);
  background: var(--background-fill-secondary); color: var(--body-text-color);
  padding: .2em .6em; }

/* -- the whole document, over the page ----------------------------------------------------- */
#document-viewer { position: fixed !important; z-index: 1000; inset: 4vh max(4vw, 1em);
  max-width: 900px; margin: 0 auto; overflow: auto; background: var(--background-fill-primary);
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  box-shadow: 0 10px 40px rgba(0, 0, 0, .35); padding: 1em 1.4em; }
#document-close { align-self: flex-end; flex-grow: 0 !important; position: sticky; top: 0;
                  z-index: 1; }
#document-viewer .document-passage { white-space: pre-wrap; margin: 0 0 .8em; }
#document-viewer #doc-focus { border-left: 3px solid var(--color-accent); padding-left: .75em;
                              background: var(--color-accent-soft); }

/* -- documents table ----------------------------------------------------------------------- */
#documents-table, #documents-table * { font-family: var(--font) !important; }
#documents-table th, #documents-table th * { word-break: normal !important;
  overflow-wrap: normal !important; hyphens: none !important; }

/* -- directory ----------------------------------------------------------------------------- */
#directory .org { border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
                 padding: .6em 1em; margin-bottom: 1em; overflow-wrap: anywhere; }
#directory .org-title { margin: 0 0 .2em; }
#directory .org-aliases, #directory .org-website { font-size: .85em; opacity: .8;
                                                   margin: 0 0 .3em; }
#directory .org-description { margin: .3em 0; }
#directory .org-facts { display: grid; grid-template-columns: max-content 1fr;
                        gap: .2em 1em; font-size: .9em; margin: .4em 0; }
#directory .org-facts dt { font-weight: 600; }
#directory .org-facts dd { margin: 0; }
#directory .org-facts ul { margin: 0; padding-left: 1.1em; }
#directory .org-theme { display: inline-block; border-radius: 999px; padding: 0 .6em;
                        margin: 0 .3em .2em 0; background: var(--color-accent-soft); }
#directory .org-sources summary { cursor: pointer; font-size: .9em; font-weight: 600;
                                  margin-bottom: .3em; }
#directory blockquote.org-source { white-space: pre-wrap; font-size: .85em; margin: .3em 0;
                                   padding: 0 0 0 .75em;
                                   border-left: 3px solid var(--color-accent); }
#directory .directory-count { font-weight: 600; }
#directory .directory-more > summary { cursor: pointer; font-weight: 600; padding: .6em 1em;
  margin-bottom: 1em; border: 1px dashed var(--border-color-primary);
  border-radius: var(--radius-lg); text-align: center; }
#directory .directory-more[open] > summary { margin-bottom: 1em; }
#directory .directory-note { font-style: italic; }

/* -- a phone ------------------------------------------------------------------------------- */
@media (max-width: 640px) {
  .gradio-container .main.app { padding: 8px 10px !important; }
  .tab-wrapper button { padding-left: .6em !important; padding-right: .6em !important; }
  #header-row { flex-wrap: wrap; gap: .3em; }
  #header-row > * { min-width: 100% !important; flex-basis: 100% !important; }
  #header h2 { font-size: 1.25em; }
  #header p { font-size: .9em; }
  #header-row > .form { background: none !important; border: 0 !important; }
  #language { padding: 0 !important; border: 0 !important; background: none !important; }
  #language > span { display: none; }  /* "Interface language": the two names say it */
  #language .wrap { flex-wrap: nowrap; gap: .4em; }
  /* One column: the chat, the sources right under the answer, the feedback, and the
     question box kept at the bottom of the screen. */
  #chat-row { flex-direction: column !important; flex-wrap: nowrap !important; }
  #chat-main, #chat-side { display: contents !important; }
  #start-screen { order: 1; }
  #chatbot { order: 2; height: 52vh !important; max-height: 52vh !important; }
  #sources-title { order: 3; }
  #sources { order: 4; }
  #feedback { order: 5; }
  #clear-button { order: 6; }
  #chat-notice { order: 7; }
  #input-row { order: 8; position: sticky; bottom: 0; z-index: 10; margin: 0 -10px;
               padding: 6px 10px; background: var(--background-fill-primary);
               border-top: 1px solid var(--border-color-primary); flex-wrap: nowrap !important; }
  #input-row #chat-input { padding: 4px !important; }
  #send-button, #stop-button { min-width: 0 !important; padding: 0 .8em !important; }
  #chatbot .message-content { font-size: .95rem; }
  #directory .org { padding: .5em .7em; margin-bottom: .6em; }
  #directory .org-title { font-size: 1em; }
  /* Three lines of description; a tap on it shows the rest. */
  #directory .org-description { display: -webkit-box; -webkit-box-orient: vertical;
    -webkit-line-clamp: 3; overflow: hidden; font-size: .95em; cursor: pointer; }
  #directory .org-description:focus { -webkit-line-clamp: unset; outline: none; }
  #directory .org-facts { gap: .1em .6em; font-size: .85em; }
  /* The documents table: a narrower title column (pinned), the others a swipe away. */
  #documents-table th.first-column, #documents-table .body-cell.first-column,
  #documents-table .sizing-body td:first-child {
    width: 42vw !important; min-width: 42vw !important; max-width: 42vw !important;
    flex: 0 0 42vw !important; }
  #documents-table .body-cell, #documents-table th { font-size: .9em; }
  #document-viewer { inset: 0; border-radius: 0; padding: .8em; }
}
"""
