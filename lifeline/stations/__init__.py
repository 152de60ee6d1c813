"""工作站管理 (server): the emergency workstations' registry, distribution of the snapshot
chains to them (API: check-in, package download), and the continuity overview page (应急数据)."""
