"""The console's webhooks screens: the partner's webhooks (``webhook`` list, create, rotateSecret, test, update
of the status, delete) and their deliveries (``webhookDelivery`` list and retry). A secret is shown once, on the
page that answers its creation or rotation."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gameservices.api.schemas.webhook import WebhookCreate
from gameservices.console.forms import problem, validated
from gameservices.console.pages import page
from gameservices.console.session import Console, ConsoleRoute, ReadConsole, WriteConsole
from gameservices.console.signin import context
from gameservices.domain.timefmt import now_ms
from gameservices.errors import GameServicesError
from gameservices.services.push import webhook as service
from gameservices.services.push import webhook_delivery
from gameservices.webhooks.targets import TargetPolicy

router = APIRouter(prefix="/console/webhooks", route_class=ConsoleRoute, include_in_schema=False)
MAX_SHOWN = 100
Text = Annotated[str, Form(max_length=2048)]


def _page(
    console: Console, *, form: dict[str, Any], error: GameServicesError | None = None, secret: Any = None
) -> Response:
    with console.read() as conn:
        total, records = service.list_page(
            conn, partner_id=console.partner_id, status=None, offset=0, limit=MAX_SHOWN
        )
    more: dict[str, Any] = {
        "webhooks": [service.view(record) for record in records],
        "total": total,
        "types": service.EVENT_TYPES,
        "form": form,
        "error": error and problem(error),
        "secret": secret,
    }
    status = 400 if error else 200
    return page("console/webhook_list.html", context(console, "Webhooks", **more), status_code=status)


@router.get("")
def webhook_list(console: ReadConsole) -> Response:
    """The partner's webhooks, newest first, and the form to add one."""
    return _page(console, form={"eventTypes": []})


@router.post("")
def webhook_create(
    request: Request,
    console: WriteConsole,
    url: Text = "",
    event_types: Annotated[list[str], Form(alias="eventTypes")] = [],  # noqa: B006 (FastAPI copies it)
    game_object_ids: Annotated[str, Form(alias="gameObjectIds", max_length=4096)] = "",
    description: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Add a webhook (the API's ``webhook/create``); the page shows its secret once."""
    form = {
        "url": url,
        "eventTypes": event_types,
        "gameObjectIds": game_object_ids,
        "description": description,
    }
    body: dict[str, Any] = {"url": url.strip(), "eventTypes": event_types}
    ids = [part.strip() for part in game_object_ids.split(",") if part.strip()]
    if ids:
        body["gameObjectIds"] = ids
    if description.strip():
        body["description"] = description.strip()
    targets: TargetPolicy = request.app.state.webhook_targets
    try:
        parsed = validated(WebhookCreate, body)
        assert isinstance(parsed, WebhookCreate)
        fields = parsed.webhook_input()
        with console.write_aside() as conn:
            made = service.create(
                conn, partner_id=console.partner_id, fields=fields, targets=targets, now_ms=now_ms()
            )
    except GameServicesError as error:
        return _page(console, form=form, error=error)
    return _page(
        console, form={"eventTypes": []}, secret={"id": made.id, "url": made.url, "value": made.secret}
    )


@router.post("/{webhook_id}/rotate")
def webhook_rotate(webhook_id: str, console: WriteConsole) -> Response:
    """A new secret (the API's ``webhook/rotateSecret``), shown once."""
    with console.write_aside() as conn:
        made = service.rotate_secret(
            conn, partner_id=console.partner_id, webhook_id=webhook_id, now_ms=now_ms()
        )
    return _page(
        console, form={"eventTypes": []}, secret={"id": made.id, "url": made.url, "value": made.secret}
    )


@router.post("/{webhook_id}/test")
def webhook_test(webhook_id: str, console: WriteConsole) -> Response:
    """Queue a ``webhook.test`` message; the deliveries page shows how it went."""
    with console.write_aside() as conn:
        service.test(conn, partner_id=console.partner_id, webhook_id=webhook_id, now_ms=now_ms())
    return RedirectResponse(f"/console/webhooks/deliveries?webhookId={webhook_id}", status_code=303)


@router.post("/{webhook_id}/status")
def webhook_status(
    request: Request,
    webhook_id: str,
    console: WriteConsole,
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Enable or disable a webhook."""
    fields = service.WebhookInput(status=status)
    with console.write_aside() as conn:
        service.update(
            conn,
            partner_id=console.partner_id,
            webhook_id=webhook_id,
            fields=fields,
            targets=request.app.state.webhook_targets,
            now_ms=now_ms(),
        )
    return RedirectResponse("/console/webhooks", status_code=303)


@router.post("/{webhook_id}/delete")
def webhook_delete(webhook_id: str, console: WriteConsole) -> Response:
    """Delete a webhook and its deliveries."""
    with console.write_aside() as conn:
        service.delete(conn, partner_id=console.partner_id, webhook_id=webhook_id)
    return RedirectResponse("/console/webhooks", status_code=303)


@router.get("/deliveries")
def delivery_list(console: ReadConsole, webhookId: str = "", status: str = "") -> Response:  # noqa: N803
    """Deliveries, newest first, optionally of one webhook or in one status."""
    with console.read() as conn:
        total, records = webhook_delivery.list_page(
            conn,
            partner_id=console.partner_id,
            webhook_id=webhookId[:64] or None,
            status=status or None,
            offset=0,
            limit=MAX_SHOWN,
        )
    more = {
        "deliveries": [webhook_delivery.view(record) for record in records],
        "total": total,
        "webhook_id": webhookId[:64],
        "status": status,
        "statuses": webhook_delivery.STATUSES,
    }
    return page("console/webhook_delivery_list.html", context(console, "Webhook deliveries", **more))


@router.post("/deliveries/{delivery_id}/retry")
def delivery_retry(delivery_id: str, console: WriteConsole) -> Response:
    """Queue a failed delivery for another attempt now (the API's ``webhookDelivery/retry``)."""
    with console.write_aside() as conn:
        webhook_delivery.retry(conn, partner_id=console.partner_id, delivery_id=delivery_id, now_ms=now_ms())
    return RedirectResponse("/console/webhooks/deliveries", status_code=303)
