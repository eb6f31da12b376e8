"""Provider webhooks: verify a request and turn it into typed events (pure, no database).

One module per provider (after anymail's `webhooks/`); recording the events is the
scheduler's job.
"""
