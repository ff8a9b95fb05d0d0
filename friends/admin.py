from django.contrib import admin
from django.http import HttpRequest

from friends import services
from friends.models import FriendRequest, Friendship


@admin.register(FriendRequest)
class FriendRequestAdmin(admin.ModelAdmin):
    """Look and delete only: a request is made, accepted or declined through the services, which keep the pair's
    rules (no crossing requests: the second one makes a friendship) and tell the receiver."""

    list_display = ["id", "from_user", "to_user", "created_at"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["from_user__username", "to_user__username"]
    list_select_related = ["from_user", "to_user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FriendRequest | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: FriendRequest) -> None:
        # As if its sender withdrew it: the same lock and the same (silent) end.
        services.friend_request_cancel(user=obj.from_user, friend_request=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for friend_request in queryset.select_related("from_user"):
            services.friend_request_cancel(user=friend_request.from_user, friend_request=friend_request)


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin):
    """Read-only: friendships are two directed rows that only the services keep in step."""

    list_display = ["user", "friend", "created_at"]
    search_fields = ["user__username", "friend__username"]
    list_select_related = ["user", "friend"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
