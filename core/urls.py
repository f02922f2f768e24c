from django.contrib.auth import views as auth_views
from django.urls import path

from core import views
from core.forms import ThrottledLoginForm

app_name = "core"
urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", authentication_form=ThrottledLoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", views.account, name="account"),
    path("csrf-echec/", views.csrf_failure, name="csrf-failure"),
]
