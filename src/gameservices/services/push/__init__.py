"""Changes pushed out: a partner's webhooks (`webhook`) and their deliveries (`webhook_delivery`)."""
