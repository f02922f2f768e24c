"""Account pages: login, logout, password change and reset, the account page and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DatabaseError, connection
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.views import defaults as django_defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from administrators.models import Membership, Organization
from core.access import access_for
from core.api import too_big_message
from core.forms import (
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    ThrottledLoginForm,
    TokenCreateForm,
    client_ip,
)
from core.models import ApiToken, User, normalize_email
from core.services import has_write_role, token_create, token_revoke


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True
    extra_context = {"title": "Connexion"}


class LogoutView(auth_views.LogoutView):
    """POST signs out; GET (a link, a bookmark) shows a page with the button instead of a 405."""

    http_method_names = ["get", "post", "options"]
    template_name = "registration/logged_out.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("/")
        return render(request, "core/logout_confirm.html", {"title": "Déconnexion"})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "Vous êtes déconnecté.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PortalPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("core:account")
    extra_context = {"title": "Changer de mot de passe"}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe a été changé.")
        return response


# Reset requests per hour, per address typed and per client address: enough for a person who
# retries, not enough to flood someone's mailbox.
RESET_MAX_PER_EMAIL = 3
RESET_MAX_PER_IP = 20
RESET_WINDOW_SECONDS = 3600


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PortalPasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("core:password_reset_done")
    extra_context = {"title": "Mot de passe oublié"}

    def form_valid(self, form: Any) -> HttpResponse:
        email = normalize_email(form.cleaned_data["email"])
        limits = {
            f"reset:email:{email}": RESET_MAX_PER_EMAIL,
            f"reset:ip:{client_ip(self.request)}": RESET_MAX_PER_IP,
        }
        if any((cache.get(key) or 0) >= limit for key, limit in limits.items()):
            form.add_error(
                None,
                "Trop de demandes de réinitialisation en peu de temps : réessayez dans une heure.",
            )
            return self.form_invalid(form)
        for key in limits:
            cache.add(key, 0, RESET_WINDOW_SECONDS)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, RESET_WINDOW_SECONDS)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"
    extra_context = {"title": "Message envoyé"}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = PortalSetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("core:password_reset_complete")
    extra_context = {"title": "Nouveau mot de passe"}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
    extra_context = {"title": "Mot de passe réinitialisé"}


def _signed_in_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the views are behind login_required
        raise PermissionDenied
    return user


def _account_context(request: HttpRequest, form: TokenCreateForm | None = None) -> dict[str, Any]:
    user = _signed_in_user(request)
    access = access_for(user)
    memberships = (
        Membership.objects.filter(user_id=user.id)
        .select_related("ministry")
        .prefetch_related(
            Prefetch(
                "organizations", queryset=Organization.objects.only("id", "name", "ministry_id")
            )
        )
        .order_by("role", "ministry__name")
    )
    tokens = ApiToken.objects.filter(user_id=user.id).order_by("revoked_at", "-created_at")
    may_write = has_write_role(access)
    return {
        "title": "Mon compte",
        "memberships": memberships,
        "tokens": tokens,
        "may_write": may_write,
        "token_form": form or TokenCreateForm(may_write=may_write),
        "breadcrumb_data": {"current": "Mon compte"},
    }


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "core/account.html", _account_context(request))


@login_required
@require_POST
def token_create_view(request: HttpRequest) -> HttpResponse:
    may_write = has_write_role(access_for(request.user))
    form = TokenCreateForm(request.POST, may_write=may_write)
    new_key = token = None
    if form.is_valid():
        try:
            token, new_key = token_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                can_write=form.cleaned_data["can_write"],
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    context = _account_context(request, form if new_key is None else None)
    context.update({"new_key": new_key, "new_token": token})
    response = render(request, "core/account.html", context, status=200 if new_key else 400)
    # The key is in this page only: never cache it (browser, proxy).
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the owner's tokens are looked up: someone else's token id answers 404.
    token = get_object_or_404(ApiToken, pk=pk, user_id=request.user.pk)
    try:
        token_revoke(actor=request.user, token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Le jeton « {token.name} » est révoqué.")
    return redirect("core:account")


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness of the web process and of what it needs (database, shared cache), for the
    container health check and the load balancer. Says nothing about the data."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "indisponible"
    try:
        cache.set("health-check", "ok", 10)
        checks["cache"] = "ok" if cache.get("health-check") == "ok" else "indisponible"
    except Exception:  # any cache backend error (Redis down, timeout)
        checks["cache"] = "indisponible"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"statut": "ok" if healthy else "dégradé", **checks}, status=200 if healthy else 503
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "core/csrf_failure.html",
        {"title": "Formulaire expiré"},
        status=403,
    )


# --- Errors outside the views: JSON under /api/, the French pages elsewhere ------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An address no route matches (or a view's Http404): a REST client reads JSON, as from
    the API's own views, a browser the French page (templates/404.html)."""
    if _is_api(request):
        return JsonResponse({"detail": "Aucune ressource de l'API à cette adresse."}, status=404)
    return django_defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too
    many fields, a bad host…): JSON under /api/, the French page elsewhere."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse({"detail": too_big_message()}, status=413)
        return JsonResponse({"detail": "Requête invalide."}, status=400)
    return django_defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {"detail": "Erreur interne du serveur : réessayez plus tard."}, status=500
        )
    return django_defaults.server_error(request)
