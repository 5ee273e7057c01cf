"""News sources: the simulated market's, and RSS/Atom feeds."""
