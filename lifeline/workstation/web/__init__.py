"""The emergency workstation's pages: a Django app of the workstation's own project
(`lifeline.workstation.settings`), never installed in the server's."""
