"""Adapters: implementations of ports and of domain protocols backed by outside packages."""
