from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request


class PortalPageNumberPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class PortalCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
    invalid_cursor_message = "Curseur non valide : reprenez le lien « next » ou « previous »."

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's, and the position must be a value of the ordering field: a forged cursor
        (`p=x`, a NUL, a number past the column's range) is the 404 of any invalid cursor, not
        a database error."""
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        name = self.ordering[0]  # a tuple: DRF's `get_ordering`, set before this is called
        try:
            field = self._model._meta.get_field(name.lstrip("-"))
            value = field.to_python(cursor.position)
        except (FieldDoesNotExist, ValidationError, ValueError, TypeError):
            raise NotFound(self.invalid_cursor_message) from None
        low, high = connection.ops.integer_field_ranges.get(field.get_internal_type(), (None, None))
        if isinstance(value, int) and (
            (low is not None and value < low) or (high is not None and value > high)
        ):
            raise NotFound(self.invalid_cursor_message)
        return cursor
