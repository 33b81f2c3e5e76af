"""The server's state in SQLite, and its rows as the API's JSON shapes."""
