"""Events the users service consumes: none yet; it only publishes `user-registered`."""

HANDLERS: dict = {}
