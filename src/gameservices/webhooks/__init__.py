"""Webhook delivery: signing (Standard Webhooks v1), the retry schedule, outbound address rules, the HTTP sender
and the dispatcher that turns the change feed into deliveries and sends them (docs/webhooks.md)."""
