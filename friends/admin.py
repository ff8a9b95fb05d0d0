from django.contrib import admin

from friends.models import FriendRequest, Friendship


@admin.register(FriendRequest)
class FriendRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "from_user", "to_user", "created_at"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["from_user__username", "to_user__username"]
    list_select_related = ["from_user", "to_user"]
    raw_id_fields = ["from_user", "to_user"]
    readonly_fields = ["created_at"]


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
