"""A minimal service used only by common's own tests (it stands in for a real service)."""
