from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest

from core.models import User, accounts_for_email, normalize_email


class EmailBackend(ModelBackend):
    """Login by e-mail, case-insensitive."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = normalize_email(kwargs.get("email") or username)
        if not email or not password:
            return None
        # Older rows may hold two accounts whose addresses differ only in case: among those
        # that may sign in, the one stored as the normalised address, else the only one whose
        # password matches; never a guess between two.
        usable = [
            u
            for u in User.objects.with_email(email)
            if self.user_can_authenticate(u) and u.has_usable_password()
        ]
        accounts = accounts_for_email(usable, email)
        if not accounts:
            User().set_password(password)  # same cost whether or not the account exists
            return None
        matching = [u for u in accounts if u.check_password(password)]
        return matching[0] if len(matching) == 1 else None

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        """The signed-in user of a session, on every page: one SQL statement written out (the
        ORM took longer to build it than the database to answer, ~0.4 ms a page)."""
        try:
            pk = User._meta.pk.to_python(user_id)  # type: ignore[union-attr]
        except ValidationError:
            return None
        table = connection.ops.quote_name(User._meta.db_table)
        column = connection.ops.quote_name(str(User._meta.pk.column))  # type: ignore[union-attr]
        found = list(
            User.objects.raw(f"SELECT * FROM {table} WHERE {column} = %s", [pk])  # noqa: S608 - model's table
        )
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None
