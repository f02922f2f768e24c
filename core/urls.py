from django.urls import path

from core import views, views_legal

app_name = "core"
urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/", views.account, name="account"),
    path("accounts/jetons/", views.token_create_view, name="token-create"),
    path("accounts/jetons/<int:pk>/revoquer/", views.token_revoke_view, name="token-revoke"),
    path(
        "accounts/mot-de-passe/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/mot-de-passe/oublie/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/mot-de-passe/oublie/envoye/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/mot-de-passe/reinitialiser/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/mot-de-passe/reinitialise/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("csrf-echec/", views.csrf_failure, name="csrf-failure"),
    path("sante/", views.health, name="health"),
    # Linked from the footer of every page (templates/partials/footer.html, 500.html).
    path("accessibilite/", views_legal.accessibility, name="accessibility"),
    path("mentions-legales/", views_legal.legal_notice, name="legal-notice"),
    path("donnees-personnelles/", views_legal.privacy, name="privacy"),
    path("plan-du-site/", views_legal.sitemap, name="sitemap"),
]
