"""REST helpers: Django ValidationError and IntegrityError become 400 with a French message;
a Django Http404 says « Non trouvé. » (DRF would repeat Django's English message, which names
the model: « No DataAsset matches the given query. »); a body over DATA_UPLOAD_MAX_MEMORY_SIZE is
a 413 in JSON (Django would answer its HTML 400 page); DRF's « No data provided » (a `null`
body) is said in French."""

from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NO_DATA = "Aucune donnée reçue : envoyez un objet JSON."


def too_big_message() -> str:
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return f"Corps de requête trop volumineux : {size:g} Mo au plus."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": too_big_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, DjangoValidationError):
        errors = as_serializer_error(exc)
        # Django names the errors of the whole object "__all__", DRF "non_field_errors".
        if NON_FIELD_ERRORS in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
        return Response(errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        whole = exc.detail.get(api_settings.NON_FIELD_ERRORS_KEY)
        if isinstance(whole, list) and [getattr(e, "code", None) for e in whole] == ["null"]:
            exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [NO_DATA]})
    return drf_exception_handler(exc, context)
