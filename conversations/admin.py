"""Chats in the admin: edits and deletions go through the same services as the API (events, files, counters)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.exceptions import ValidationError

from chats import services as chats
from chats.models import Chat, Membership
from conversations import services
from uploads.forms import clean_image_upload


class MembershipInline(admin.TabularInline):
    """Read-only: membership changes go through the API so read state and events stay consistent."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ["user", "joined_at", "last_read_seq", "skipped_after", "unread_count"]
    readonly_fields = fields
    ordering = ["joined_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).with_unread()  # type: ignore[attr-defined]

    @admin.display(description="unread")
    def unread_count(self, membership: Membership) -> int:
        return membership.unread_count  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False


class ChatForm(forms.ModelForm):
    class Meta:
        model = Chat
        fields = ["title", "avatar", "creator"]

    def clean_avatar(self) -> Any:
        return clean_image_upload(self.cleaned_data["avatar"])

    def clean_creator(self) -> Any:
        creator = self.cleaned_data["creator"]
        if creator is not None and self.instance.pk and "creator" in self.changed_data:
            try:
                chats.chat_creator_check(self.instance.pk, creator.pk)
            except ValidationError as exc:
                raise forms.ValidationError(exc.detail["creator"]) from exc
        return creator


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    form = ChatForm
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
        "updated_at",
    ]
    fields = ["id", "title", "avatar", "is_private", "creator", *readonly_fields[2:]]
    inlines = [MembershipInline]
    ordering = ["-last_activity_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # chats are created through the API, which adds the members and tells them

    def get_readonly_fields(self, request: HttpRequest, obj: Chat | None = None) -> list[str]:
        if obj is not None and obj.is_private:
            return [*self.readonly_fields, "title", "avatar", "creator"]  # private chats cannot be changed
        return self.readonly_fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        results, _may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return results.distinct(), False

    def save_model(self, request: HttpRequest, obj: Chat, form: forms.ModelForm, change: bool) -> None:
        # Through the service: the members are told (chat_update), an old avatar's file goes.
        changes: dict[str, Any] = {}
        if "title" in form.changed_data:
            changes["title"] = form.cleaned_data["title"]
        if "avatar" in form.changed_data:
            changes["avatar"] = form.cleaned_data["avatar"] or None  # False: "clear" was ticked
        if "creator" in form.changed_data and form.cleaned_data["creator"] is not None:
            changes["creator_id"] = form.cleaned_data["creator"].pk
        if changes:
            chats.chat_moderate_update(chat_id=obj.pk, **changes)

    def delete_model(self, request: HttpRequest, obj: Chat) -> None:
        # Through the service: messages' files go too, and members are told.
        services.chat_moderate_delete(chat_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        for chat_id in queryset.values_list("pk", flat=True):
            services.chat_moderate_delete(chat_id=chat_id)
