"""OAuth2 client credentials: registered clients, token issuance, signing keys."""
