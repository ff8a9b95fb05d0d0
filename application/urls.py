from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from application.docs_views import RedocView, SchemaView, SwaggerView

# Django tries the patterns in order, so the most requested come first (messages, then chats); no two apps'
# patterns match the same path.
api = [
    path("", include("messages.urls")),
    path("", include("conversations.urls")),
    path("", include("users.urls")),
    path("", include("accounts.urls")),
    path("", include("centrifugo.urls")),
    path("", include("posts.urls")),
    path("", include("friends.urls")),
    path("schema/", SchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own (?script=): no inline script, so the page
    # runs under a CSP with `script-src 'self'`.
    path("schema/swagger/", SwaggerView.as_view(url_name="schema"), name="swagger"),
    path("schema/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    path("api/", include(api)),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # nginx serves /media in every real deployment; this only helps `manage.py runserver`.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

handler400 = "application.errors.handler400"
handler403 = "application.errors.handler403"
handler404 = "application.errors.handler404"
handler500 = "application.errors.handler500"
