from django.urls import path

from administrators import views

app_name = "administrators"
urlpatterns = [
    path("", views.home, name="home"),
]
