"""The HIS side, no Django: the canonical model and its checks, the mapping of a hospital's HIS
onto it, the reader (one consistent snapshot, full or incremental, by watermarks), value
checks, and the demo HIS. The merge-back writer lands here next. The server's snapshot builds
and the emergency workstation both use it; it imports nothing of either."""
