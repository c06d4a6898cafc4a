"""The inventory service: stock per product, deducted by the order saga (port 3005)."""
