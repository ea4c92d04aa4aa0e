"""Only the migration history of work items is left here: since the one gate
(yibiao/gate) tasks and inspections are demands, the calendar lives in yibiao/agenda and
reports of what slipped past in yibiao/slipped; gate's and slipped's migrations carried
every row over and this app's last migration dropped its tables. Kept installed so
databases made before the gate migrate through it; remove once every deployment has
migrated."""
