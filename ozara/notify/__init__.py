"""Adapters that carry alerts out of the node (issue 8): e-mail through an SMTP server."""
