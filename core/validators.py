"""Validators shared by every app, with messages a person can act on (in French)."""

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _


def _ascii_digits(value: str, length: int) -> bool:
    """Exactly `length` digits 0-9. `str.isdigit` alone also accepts "¹" or "٣" (which `int`
    then refuses, or reads as another digit): an identifier is written in ASCII digits."""
    return len(value) == length and value.isascii() and value.isdigit()


def whole_number(text: object, max_digits: int = 18) -> int | None:
    """The number a query or form parameter holds (an id, a version), or None: ASCII digits
    only and at most `max_digits` of them — 18 fit any bigint id; a version (integer column)
    asks for 9. `str.isdigit` accepts "¹" (which `int` refuses: a 500) and any length (which
    PostgreSQL refuses beyond its column: a 500 too)."""
    value = str(text)
    if 0 < len(value) <= max_digits and value.isascii() and value.isdigit():
        return int(value)
    return None


def whole_numbers(texts: Iterable[object]) -> list[int]:
    """The `whole_number`s of several parameters (a list of ids), the others left out."""
    numbers = (whole_number(text) for text in texts)
    return [n for n in numbers if n is not None]


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# La Poste's establishments share SIREN 356000000 and use a different check (sum of digits % 5).
_LA_POSTE_SIREN = "356000000"


def validate_siren(value: str) -> None:
    if not value:
        return
    if not _ascii_digits(value, 9):
        raise ValidationError(_("Le SIREN doit comporter exactement 9 chiffres."), code="siren")
    if not _luhn_ok(value):
        raise ValidationError(
            _("Le SIREN « %(value)s » est invalide (clé de contrôle incorrecte).")
            % {"value": value},
            code="siren",
        )


def validate_siret(value: str) -> None:
    if not value:
        return
    if not _ascii_digits(value, 14):
        raise ValidationError(_("Le SIRET doit comporter exactement 14 chiffres."), code="siret")
    if value.startswith(_LA_POSTE_SIREN):
        ok = sum(int(c) for c in value) % 5 == 0
    else:
        ok = _luhn_ok(value)
    if not ok:
        raise ValidationError(
            _("Le SIRET « %(value)s » est invalide (clé de contrôle incorrecte).")
            % {"value": value},
            code="siret",
        )


_url_validator = URLValidator(schemes=["http", "https"])


def validate_public_url(value: str) -> None:
    """Only http(s) links: refuses javascript:, data:, file: and the like."""
    if not value:
        return
    scheme = urlsplit(value.strip()).scheme.lower()
    if scheme not in {"http", "https"}:
        raise ValidationError(
            _("Le lien « %(value)s » doit commencer par http:// ou https://.")
            % {"value": value[:80]},
            code="url_scheme",
        )
    try:
        _url_validator(value)
    except ValidationError as exc:
        raise ValidationError(
            _("Le lien « %(value)s » n'est pas une adresse web valide.") % {"value": value[:80]},
            code="url",
        ) from exc
