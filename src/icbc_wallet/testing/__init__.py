"""Test support shipped to users: hypothesis strategies (install the ``testing`` extra)."""
