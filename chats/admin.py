from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chats import services
from chats.models import Chat, Membership


class MembershipInline(admin.TabularInline):
    """Read-only: membership changes go through the API so read state and events stay consistent."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ["user", "joined_at", "last_read_seq", "unread_count"]
    readonly_fields = fields
    ordering = ["joined_at"]

    def has_add_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_private", "creator", "message_count", "last_activity_at", "created_at"]
    list_filter = ["is_private", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["id", "title", "members__username", "members__first_name", "members__last_name"]
    list_select_related = ["creator"]
    raw_id_fields = ["creator", "last_message"]
    readonly_fields = [
        "id",
        "is_private",
        "private_key",
        "last_seq",
        "message_count",
        "last_message",
        "last_activity_at",
        "created_at",
    ]
    fields = ["id", "title", "avatar", "is_private", "creator", *readonly_fields[2:], "updated_at"]
    inlines = [MembershipInline]
    ordering = ["-last_activity_at"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, _may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return results.distinct(), False

    def delete_model(self, request: HttpRequest, obj: Chat) -> None:
        # Through the service: messages' files go too, and members are told.
        services.chat_moderate_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        for chat in queryset:
            services.chat_moderate_delete(chat)
