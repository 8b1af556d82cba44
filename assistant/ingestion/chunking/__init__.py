"""Structure-aware chunking of cleaned text into citable chunks.

The cleaned documents keep one paragraph per line and headings on their own line.
Chunks follow that structure rather than a fixed window, so that an answer can cite
one organisation's description, one whole list or one section:

- "entry": one paragraph describing one organisation or item (a paragraph that names
  its subject, "X est ...", "X: ...", "X - ...", or the paragraph under a heading
  that names it);
- "list": a run of list items together with the line that introduces them;
- "section": the other prose under a heading, split at sentence boundaries;
- "window": overlapping sentence windows, only for text with no structure at all.

Each chunk also carries its units (sentences and list items), the pieces an answer
quotes; they are always substrings of the chunk text.

A document goes through ``blocks`` (its lines), ``segments`` (grouped under their headings,
with the heuristics of ``entries``), ``packing`` (sized into bodies) and ``document``
(``chunk_document``); ``units`` cuts any text into units; ``preview`` prints a file's chunks.
"""

