"""Bodies of the ``webhook`` and ``webhookDelivery`` controllers (DESIGN.md section 9)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from gameservices.api.schemas.common import MAX_LIST, Id, Pager, RequestModel, Url
from gameservices.services.push.webhook import WebhookInput

EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Description = Annotated[str, StringConstraints(max_length=1024)]
StatusName = Annotated[str, StringConstraints(max_length=32)]


class WebhookCreate(RequestModel):
    """``webhook/create``: an endpoint and the changes it receives."""

    url: Url
    eventTypes: list[EventType] = Field(min_length=1, max_length=MAX_LIST)
    gameObjectIds: list[Id] | None = Field(None, max_length=MAX_LIST)
    description: Description | None = None
    status: StatusName | None = None

    def webhook_input(self) -> WebhookInput:
        """What the service creates from this body."""
        return WebhookInput(
            url=self.url,
            event_types=self.eventTypes,
            game_object_ids=self.gameObjectIds,
            description=self.description,
            status=self.status,
        )


class WebhookUpdate(RequestModel):
    """``webhook/update``: the fields to change (null clears ``gameObjectIds`` and ``description``)."""

    id: Id
    url: Url | None = None
    eventTypes: list[EventType] | None = Field(None, min_length=1, max_length=MAX_LIST)
    gameObjectIds: list[Id] | None = Field(None, max_length=MAX_LIST)
    description: Description | None = None
    status: StatusName | None = None

    def webhook_input(self) -> WebhookInput:
        """What the service changes from this body."""
        named_null = {name for name in self.model_fields_set if getattr(self, name) is None}
        return WebhookInput(
            url=self.url,
            event_types=self.eventTypes,
            game_object_ids=self.gameObjectIds,
            description=self.description,
            status=self.status,
            cleared=frozenset(named_null),
        )


class WebhookList(RequestModel):
    """``webhook/list``: the partner's webhooks, optionally in one status."""

    statusEqual: StatusName | None = None
    pager: Pager | None = None


class WebhookDeliveryList(RequestModel):
    """``webhookDelivery/list``: deliveries, optionally of one webhook or in one status."""

    webhookId: Id | None = None
    status: StatusName | None = None
    pager: Pager | None = None
