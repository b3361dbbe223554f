"""Records to and from other tools: STIX 2.1 bundles (MISP, OpenCTI) and CSV files.

``stix`` maps one record to a bundle, ``stix_import`` a bundle back to record documents,
``bulk`` runs an import (CSV rows or STIX records) one record per transaction and reports
every rejected row with its field, rule and article. See docs/interop.md.
"""
