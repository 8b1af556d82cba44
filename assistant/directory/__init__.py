"""The organisation directory: mentions found in the chunks, merged organisations with
their themes, stored beside each index generation. May import: store, core."""
