"""The ``certificate`` controller's game-object kind (guide section 8)."""

from typing import Any

from gameservices.domain.credits import parse_credits_mapping
from gameservices.domain.errors import DomainValidationError
from gameservices.errors import ValidationFailed
from gameservices.rendering.background import BackgroundError, BackgroundLoader
from gameservices.services.catalog.game_objects import GameObjectKind
from gameservices.storage import rules as rule_repository
from gameservices.storage.database import Connection

REQUIRED = frozenset({"name", "status", "certificateEligibility", "certifiedCreditsThreshold"})


def _validate(conn: Connection, partner_id: int, object_id: str | None, fields: dict[str, Any]) -> None:
    _check_elements(fields.get("outputFileConfiguration"))
    mapping_text = fields.get("creditsMapping")
    if not mapping_text:
        return
    try:
        mapping = parse_credits_mapping(mapping_text)
    except DomainValidationError as error:
        raise ValidationFailed(error.field, error.message) from error
    known: set[str] = set()
    if object_id is not None:
        known = {
            rule.id
            for rule in rule_repository.rules_of(conn, partner_id=partner_id, game_object_id=object_id)
        }
    unknown = [rule_id for rule_id in mapping.rule_ids if rule_id not in known]
    if unknown:
        raise ValidationFailed("creditsMapping", f"line 1: {unknown[0]} is not a rule of this certificate")


def _check_elements(configuration: dict[str, Any] | None) -> None:
    if not configuration:
        return
    elements = configuration["outputFileElements"]
    if not elements[0].get("url"):
        raise ValidationFailed(
            "outputFileConfiguration.outputFileElements[0].url", "the first element is the background url"
        )
    for index, element in enumerate(elements[1:], start=1):
        where = f"outputFileConfiguration.outputFileElements[{index}]"
        if not element.get("textElementType"):
            raise ValidationFailed(
                f"{where}.textElementType", "every element after the first is a text element"
            )
        if element.get("textElementType") == "metadataField" and not element.get("xPath"):
            raise ValidationFailed(f"{where}.xPath", "a metadataField element needs an xPath")
        if element.get("size") is not None and element.get("textElementType") != "verificationQr":
            raise ValidationFailed(f"{where}.size", "only a verificationQr element has a size")
    codes = [element for element in elements if element.get("textElementType") == "verificationQr"]
    if len(codes) > 1:
        raise ValidationFailed(
            "outputFileConfiguration.outputFileElements", "at most one verificationQr element"
        )


CERTIFICATE = GameObjectKind(
    object_type="certificate",
    entity="Certificate",
    required=REQUIRED,
    validate=_validate,
    equal_filters=frozenset({"externalId"}),
)


def check_background(fields: dict[str, Any], *, loader: BackgroundLoader) -> None:
    """Make sure the template's background can be fetched and is an image (a 400 naming the field if not)."""
    configuration = fields.get("outputFileConfiguration")
    if not configuration:
        return
    try:
        loader.load(configuration["outputFileElements"][0]["url"])
    except BackgroundError as error:
        raise ValidationFailed("outputFileConfiguration.outputFileElements[0].url", error.message) from error
