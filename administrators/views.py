from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from administrators.selectors import network_coverage


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "administrators/home.html", {"coverage": network_coverage()})
