"""Web pages of the inventory, one module per kind of object (see urls.py)."""
