"""`manage_all.py bench`: throughput and latency of CommerceX beside this machine's ceilings."""
