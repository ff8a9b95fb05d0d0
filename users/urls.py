from django.urls import path

from users import health, views, views_auth, views_oauth

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("auth/", views.LoginView.as_view(), name="auth"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/cookie/", views_auth.CookieLoginView.as_view(), name="auth-cookie"),
    path("auth/cookie/refresh/", views_auth.CookieRefreshView.as_view(), name="auth-cookie-refresh"),
    path("auth/logout/", views_auth.LogoutView.as_view(), name="auth-logout"),
    path("auth/yandex/", views_oauth.YandexAuthorizeView.as_view(), name="auth-yandex-authorize"),
    path("auth/yandex/login/", views_oauth.YandexLoginView.as_view(), name="auth-yandex"),
    path("auth/yandex/link/", views_oauth.YandexLinkView.as_view(), name="auth-yandex-link"),
    path("gateway/verify/", views_auth.GatewayVerifyView.as_view(), name="gateway-verify"),
    path("user/current/", views.CurrentUserView.as_view(), name="user-current"),
    path("user/online/", views.OnlineView.as_view(), name="user-online"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("health/db/", health.DatabaseHealthView.as_view(), name="health-db"),
]
