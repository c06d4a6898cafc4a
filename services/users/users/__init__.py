"""The users service: accounts, login and JWT issuing (port 3001)."""
