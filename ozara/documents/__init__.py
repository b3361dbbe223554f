"""The wire format between nodes: typed documents, canonical JSON, signing and sealing.

See docs/crypto.md for the cryptography and ``sealed.py`` for the byte layout.
"""

from .canonical import CanonicalJSONError, JSONObject, JSONValue, canonicalize, parse_json
from .errors import (
    DocumentInvalid,
    DocumentRejected,
    RejectReason,
    TrustListReason,
    TrustListRejected,
)
from .model import (
    REQUEST_SIGNER_ROLES,
    Attachment,
    Document,
    DocumentType,
    NodeSignature,
    OfficerSignature,
    SignerRole,
)
from .sealed import SealedHeader, open_sealed, peek_header, seal
from .signing import (
    NodeKeys,
    generate_node_keys,
    officer_signature,
    sign_as_officer,
    verify_officer_signature,
)
from .trust import (
    TrustEntry,
    TrustList,
    TrustState,
    accept_trust_list,
    issue_trust_list,
    verify_trust_list,
)

__all__ = [
    "REQUEST_SIGNER_ROLES",
    "Attachment",
    "CanonicalJSONError",
    "Document",
    "DocumentInvalid",
    "DocumentRejected",
    "DocumentType",
    "JSONObject",
    "JSONValue",
    "NodeKeys",
    "NodeSignature",
    "OfficerSignature",
    "RejectReason",
    "SealedHeader",
    "SignerRole",
    "TrustEntry",
    "TrustList",
    "TrustListReason",
    "TrustListRejected",
    "TrustState",
    "accept_trust_list",
    "canonicalize",
    "generate_node_keys",
    "issue_trust_list",
    "officer_signature",
    "open_sealed",
    "parse_json",
    "peek_header",
    "seal",
    "sign_as_officer",
    "verify_officer_signature",
    "verify_trust_list",
]
