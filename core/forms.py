"""Account forms: login (throttled), password change and reset, API token creation."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.cache import cache
from django.forms.utils import flatatt
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm
from rest_framework.throttling import BaseThrottle

from core.models import accounts_for_email, normalize_email
from core.services import TOKEN_NAME_MAX_LENGTH

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest | None) -> str:
    """The caller's address, honouring REST_FRAMEWORK["NUM_PROXIES"] like the API throttles."""
    if request is None:
        return ""
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


def _email_key(email: str) -> str:
    return f"login-fail:email:{normalize_email(email)}"


def _ip_key(request: HttpRequest | None) -> str:
    return f"login-fail:ip:{client_ip(request)}"


def _count_failure(key: str) -> None:
    cache.add(key, 0, settings.LOGIN_LOCK_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, settings.LOGIN_LOCK_SECONDS)


class ThrottledLoginForm(AuthenticationForm, DsfrBaseForm):
    """Login by e-mail; after too many failures for one e-mail or one address, refuse for a while.

    Counters live in the shared cache (Redis in production) so every web process sees them.
    The per-address limit is higher than the per-account one: several agents may share one
    outgoing address (a ministry's proxy).
    """

    username = forms.EmailField(
        label=_("Adresse électronique"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": _("Adresse électronique ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé."),
        "throttled": _(
            "Trop de tentatives de connexion échouées. Réessayez dans %(minutes)s minutes."
        ),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["password"].label = _("Mot de passe")

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get("username", "") or "")
        email_key, ip_key = _email_key(email), _ip_key(self.request)
        if (cache.get(email_key) or 0) >= settings.LOGIN_MAX_FAILURES or (
            cache.get(ip_key) or 0
        ) >= settings.LOGIN_MAX_FAILURES_PER_IP:
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_LOCK_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            _count_failure(email_key)
            _count_failure(ip_key)
            raise
        cache.delete(email_key)
        return cleaned


class PortalPasswordChangeForm(PasswordChangeForm, DsfrBaseForm):
    pass


class PortalPasswordResetForm(PasswordResetForm, DsfrBaseForm):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email: str) -> Iterator[Any]:
        """Django sends a link for every active account holding the address in any case; older
        rows may hold two of them. Only the account the address designates gets one (the one
        sign-in prefers): stored as the normalised address, or the only one. Several and none
        stored so: no link for an account the person may not own, and a warning to merge them."""
        found = sorted(super().get_users(email), key=lambda u: u.pk)
        accounts = accounts_for_email(found, email)
        if len(accounts) > 1:
            logger.warning(
                "Réinitialisation non envoyée : les comptes %s ont la même adresse à la casse "
                "près, à fusionner.",
                ", ".join(str(u.pk) for u in accounts),
            )
            return iter(())
        return iter(accounts)


class PortalSetPasswordForm(SetPasswordForm, DsfrBaseForm):
    pass


VALIDITY_CHOICES = [
    ("30", _("30 jours")),
    ("90", _("90 jours")),
    ("365", _("1 an")),
]


class TokenCreateForm(DsfrBaseForm):
    """Creation of an API token; the service checks the rights again."""

    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=_("Pour vous y retrouver : l'outil ou le script qui l'utilisera."),
    )
    validity = forms.ChoiceField(
        label=_("Durée de validité"), choices=VALIDITY_CHOICES, initial="365"
    )
    can_write = forms.BooleanField(
        label=_("Autoriser l'écriture"),
        required=False,
        help_text=_("Sans cette case, le jeton ne permet que la lecture."),
    )

    def __init__(self, *args: Any, may_write: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_write:
            # Still validated by the service: a forged request gets a clear error.
            self.fields["can_write"].disabled = True
            self.fields["can_write"].help_text = _(
                "Vos rôles ne permettent que la lecture : vos jetons aussi."
            )

    def clean_can_write(self) -> bool:
        field = self.fields["can_write"]
        if field.disabled:
            # A disabled field ignores the submitted value; read it anyway so that the service
            # refuses it explicitly instead of silently creating a read-only token.
            return bool(field.to_python(self.data.get("can_write")))
        return bool(self.cleaned_data.get("can_write"))

    def expires_at(self) -> datetime.datetime:
        return timezone.now() + datetime.timedelta(days=int(self.cleaned_data["validity"]))


class QuickSelect(forms.Select):
    """A select of plain choices (no groups) written in Python: Django's widget templates render
    each option through a template (~0.03 ms each; a list of 30 ministries cost ~1 ms of a
    public page). Same markup: the attributes the form gives, the option chosen `selected`."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options: list[str] = []
        selected_one = False
        for v, label in self.choices:
            # As Django's `ChoiceWidget.optgroups`: a None value is written "", only the first
            # option of the chosen value is selected, and a label marked safe stays as it is.
            option = "" if v is None else str(v)
            selected = not selected_one and option in chosen
            selected_one |= selected
            options.append(
                f'<option value="{escape(option)}"{" selected" if selected else ""}>'
                f"{conditional_escape(str(label))}</option>"
            )
        return mark_safe(  # noqa: S308 - every value is escaped
            f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>'
            f"{''.join(options)}</select>"
        )
