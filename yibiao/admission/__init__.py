"""Only the migration history of form requests is left here: since the one gate
(yibiao/gate) they are demands of kind `table`; gate's migration 0002 carried every row
over and this app's last migration dropped its tables. Kept installed so databases made
before the gate migrate through it; remove once every deployment has migrated."""
