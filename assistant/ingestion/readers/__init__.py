"""Read the documents people have (PDF, DOCX, ODT, HTML, Markdown, text) into the line
structure cleaning and chunking expect: "# Heading" lines, "• item" and "1. item" lines,
one paragraph per line. The type is decided by the content (``sniff``), never by the
extension alone; a file that cannot be used is refused with a message key saying why
(``base.ReadRefused``): a scan with no text layer, a damaged file, a name that lies.

``document`` (``read_document``) dispatches to ``pdf`` (pdfminer.six's layout analysis) and
``office`` (python-docx, odfpy); ``base`` holds what they share (the refusal, the document's
own properties, extracted-text repairs).
"""
