"""SendGrid's side of the event webhook, for tests: a key pair that signs posts as
SendGrid does (ECDSA P-256 over the timestamp header and the raw body)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from delivery.webhooks.sendgrid import SIGNATURE_HEADER, TIMESTAMP_HEADER


@dataclass
class SendGridSigner:
    """A P-256 key pair; `public_key` as SendGrid's dashboard shows it (base64 DER)."""

    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SendGridSigner:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_key(self) -> str:
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def sign(self, body: bytes, at: datetime | None = None) -> dict[str, str]:
        """The headers of a post of `body` signed at `at` (default: now)."""
        timestamp = str(int((at or datetime.now(UTC)).timestamp()))
        signature = self.private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: timestamp}
