"""快照 (server): snapshot builds of the HIS base data (builder, guard, drift), publishing the
chains, the schedule (services, tasks), the build pages and the `lifeline snapshot` and
`lifeline his` commands. Reads the HIS through lifeline.his and writes lifeline.package files."""
