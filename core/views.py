from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.access import access_for


@login_required
def account(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    memberships = request.user.memberships.select_related("ministry").prefetch_related("organizations")
    return render(
        request,
        "core/account.html",
        {"title": "Mon compte", "memberships": memberships, "access_info": access},
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "core/csrf_failure.html",
        {"title": "Formulaire expiré"},
        status=403,
    )
