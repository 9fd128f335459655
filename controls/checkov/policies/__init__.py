# Checkov loads checks only from a folder with an __init__.py (see world_database_ports.py).
