from django.urls import path

from accounts import views

urlpatterns = [
    path("user/<uuid:user_id>/", views.UserDetailView.as_view(), name="user-detail"),
]
