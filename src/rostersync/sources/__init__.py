"""Roster sources: the outside world (Clever, OneRoster CSV) turned into roster records.

Each source implements `rostersync.roster.sources.RosterSource`; the sync engine knows nothing
else about them.
"""
