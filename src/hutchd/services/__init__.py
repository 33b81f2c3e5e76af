"""What the server does, behind the HTTP surface: sandboxes, snapshots, the warm pool, background tasks."""
