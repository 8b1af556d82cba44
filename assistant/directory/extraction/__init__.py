"""Directory extraction: the organisations one document mentions, read from its structure.

Deterministic rules over the chunks' units (sentences and list items), each fact kept
with the unit it came from (``reader``):
- list items and entries that start with a name: "CSC, Confederation of ...",
  "CEDEFOP - CEDEFOP is ...", "La Coalition Climat est une asbl ..." (``heads``);
- names and acronyms in parentheses, checked against the words' initials
  ("Centre national de coopération au développement (CNCD-11.11.11)") (``parentheses``,
  ``names``);
- enumerations after "membre de ... telles que" (``enumerations``), partner lead-ins ("Here
  are the organisations that work with AID"), "created by", "fait partie du" (``relations``);
- addresses ("Rue ..., 4000 Liège") and the document's own organisation (manifest)
  (``addresses``).
The word lists live in ``data/directory.toml`` (``vocabulary``); no organisation is named in
code. Mentions of the same organisation, in this document or another, are merged later by
``assistant.directory.organisations`` through their names, acronyms and initials
(``spelling`` finds the long names that spell an acronym anywhere in the corpus).
"""
