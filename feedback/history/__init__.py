"""History and comfort journal: one local SQLite index of sessions and journal entries.

The files are the record: every session keeps its folder (report.json per exercise plus a
small session.json with the comfort answers) and every journal entry its own JSON file.
The database indexes them for tables, trends and advice, so a damaged database can be set
aside and rebuilt from the files without losing anything. Nothing here uses the network.
"""
