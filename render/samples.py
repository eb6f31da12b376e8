"""Sample readers: for previews, for the size and width checks, and the tricky ones
that prove the two stages escape exactly as a full render does."""

from __future__ import annotations

from render.context import Sender
from render.merge import Reader

# About the length of the signed tokens subscribers.links makes (itsdangerous, URL-safe).
SAMPLE_TOKEN = "eyJzIjo0MiwibCI6Mn0.Zx3kPw.q9Xb2Vh8mT4nR7sL1cJ6wE0yA5uK3dF9gH2iB8o"


def sample_reader(sender: Sender, name: str = "Alex Morgan") -> Reader:
    """A believable subscriber with links of realistic length (they lead nowhere)."""
    return _reader(sender, name=name, email="alex.morgan@example.com")


def tricky_readers(sender: Sender) -> tuple[Reader, ...]:
    """Names that break naive escaping, and a subscriber who gave no name at all."""
    return (
        _reader(
            sender,
            name='Zoë "<script>alert(1)</script>" O\'Brien & 山田 太郎 Ελένη',
            email="zoe+test@example.com",
            query="?utm_source=drip&utm_medium=email",  # & must become &amp; in href
        ),
        _reader(sender, name="", email="no.name@example.com"),
    )


def _reader(sender: Sender, name: str, email: str, query: str = "") -> Reader:
    base = sender.base_url
    return Reader(
        email=email,
        name=name,
        unsubscribe_url=f"{base}/unsubscribe/{SAMPLE_TOKEN}{query}",
        preferences_url=f"{base}/preferences/{SAMPLE_TOKEN}{query}",
        view_url=f"{base}/view/{SAMPLE_TOKEN}{query}",
        confirm_url=f"{base}/confirm/{SAMPLE_TOKEN}{query}",
    )
