"""HTTP APIs: ``node`` is the node-to-node API of the federation (issue 3, point 5)."""
