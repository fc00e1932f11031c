"""Purchase orders (approved above a configured amount, by someone else) and receiving against
them into quarantine."""
