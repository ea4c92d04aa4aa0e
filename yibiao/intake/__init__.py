"""Bootstrapping the ledger from the Excel rosters a community already keeps (台账导入).

`reading` streams a sheet's data rows (pure, no Django); `importer.import_ledger` maps the
columns and hands the rows to the ledger's one write path; views and the CLI call it.
"""
