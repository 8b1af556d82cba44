"""Turn raw scraped documents (txt, md, html) into clean, line-structured text.

The sources are web scrapes: HTML fragments, tab tables, image captions glued to
the next word, "Read more" links, empty profile fields. Every rule here is generic
(it names no organisation and no string of a particular file) and conservative: when
a rule is unsure, the text is left as it is. Line and paragraph structure is kept
because chunking relies on it (one paragraph per line, headings on their own line).

``document`` (``clean_text``) runs the stages: ``markup`` (HTML) or ``markdown``, ``tables``,
then line by line ``splitting`` (flattened lists), ``lines`` (bullets, glued acronyms,
``captions``) and ``debris``.
"""
