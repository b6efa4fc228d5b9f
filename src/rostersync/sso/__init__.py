"""Sign-in for students, teachers, staff and district admins: Clever Instant Login and Google.

The District Account Owner signs in with a password (`accounts/`), never here.
"""
