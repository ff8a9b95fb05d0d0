from django.urls import path

from users import views

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("auth/", views.LoginView.as_view(), name="auth"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("user/current/", views.CurrentUserView.as_view(), name="user-current"),
    path("user/online/", views.OnlineView.as_view(), name="user-online"),
    path("user/<uuid:user_id>/", views.UserDetailView.as_view(), name="user-detail"),
    path("users/", views.UserListView.as_view(), name="user-list"),
]
