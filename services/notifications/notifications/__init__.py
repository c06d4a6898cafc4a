"""The notifications service: emails a customer about their account and orders (port 3006)."""
