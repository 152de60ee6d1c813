"""The migration history of the models that lived here before continuity was split into
lifeline.his, lifeline.package, lifeline.snapshots, lifeline.stations and lifeline.workstation.

It stays an installed app, with no models and no code, for the sites that migrated before the
split: their databases hold its migrations 0001-0005 and its tables (continuity_*), which the
snapshots and stations models keep using. Migration 0006 only removes the models from this
app's state, after snapshots.0001 and stations.0001 took them over, state only too; no row
moves. Remove it only once no database older than the split is left (then squash).
"""
