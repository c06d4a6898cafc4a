"""Code shared by every CommerceX service; it never imports a service."""
