from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm


def _keys(request: HttpRequest | None, email: str) -> list[str]:
    ip = request.META.get("REMOTE_ADDR", "") if request else ""
    return [f"login-fail:email:{email.lower().strip()}", f"login-fail:ip:{ip}"]


class ThrottledLoginForm(AuthenticationForm, DsfrBaseForm):
    """Login by e-mail; after too many failures for one e-mail or one IP, refuse for a while.

    Counters live in the shared cache (Redis in production) so every web process sees them.
    """

    username = forms.EmailField(label=_("Adresse électronique"), widget=forms.EmailInput(
        attrs={"autofocus": True, "autocomplete": "email"}))

    error_messages = {
        "invalid_login": _("Adresse électronique ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé."),
        "throttled": _(
            "Trop de tentatives de connexion échouées. Réessayez dans %(minutes)s minutes."
        ),
    }

    def clean(self) -> dict[str, Any]:
        email = self.data.get("username", "") or ""
        keys = _keys(self.request, email)
        limit = settings.LOGIN_MAX_FAILURES
        if any((cache.get(k) or 0) >= limit for k in keys):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_LOCK_SECONDS // 60)},
            )
        try:
            return super().clean()
        except forms.ValidationError:
            for k in keys:
                cache.add(k, 0, settings.LOGIN_LOCK_SECONDS)
                try:
                    cache.incr(k)
                except ValueError:
                    cache.set(k, 1, settings.LOGIN_LOCK_SECONDS)
            raise
