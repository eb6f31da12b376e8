"""drip's foundation: settings and the database, shared by every other package."""
