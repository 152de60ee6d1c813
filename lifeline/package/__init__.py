"""The snapshot package format, no Django: tables, rows and checksums (tables), the
encrypted, signed file (container), the database a build writes (writing), applying a chain
(applying), the key store (keys) and the key index (keyindex). Paths (key store, private work
directory) are passed in; nothing here reads settings. Shared by the server and the
emergency workstation."""
