"""What every reader of a configured source shares (the HTTP client that keeps credentials at home)."""
