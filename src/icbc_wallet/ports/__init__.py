"""Ports: the typing.Protocol interfaces the service depends on (added with the wallet)."""
