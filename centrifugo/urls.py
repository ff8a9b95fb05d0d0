from django.urls import path

from centrifugo import views

urlpatterns = [
    path("centrifugo/connect/", views.ConnectTokenView.as_view(), name="centrifugo-connect"),
    path("centrifugo/subscribe/", views.SubscribeTokenView.as_view(), name="centrifugo-subscribe"),
]
