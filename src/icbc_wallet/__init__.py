"""icbc-wallet: a typed domain library for an ICBC-style bank digital wallet."""
