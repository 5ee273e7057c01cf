"""Users, password hashing, two-factor codes, lockout, sessions, roles and what each may do."""
