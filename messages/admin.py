from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from chats.models import Chat
from chats.selectors import parse_uuid
from messages import services
from messages.models import Message, MessageFile


class ChatFilter(admin.SimpleListFilter):
    """Filter by chat: the most active chats are offered; any chat works as `?chat=<id>` (a choice list of every
    chat would not scale)."""

    title = _("chat")
    parameter_name = "chat"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(chat.pk), str(chat)) for chat in Chat.objects.order_by("-last_activity_at")[:20]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> QuerySet[Message]:
        if self.value():
            return queryset.filter(chat_id=parse_uuid(self.value()))
        return queryset


class MessageFileInline(admin.TabularInline):
    model = MessageFile
    extra = 0
    can_delete = False
    readonly_fields = ["item"]

    def has_add_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["short_text", "sender", "chat", "seq", "created_at", "updated_at"]
    list_filter = [ChatFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["text", "sender__username"]
    list_select_related = ["sender", "chat"]
    raw_id_fields = ["chat", "sender", "reply_to"]
    readonly_fields = ["id", "chat", "sender", "seq", "voice", "reply_to", "created_at", "updated_at"]
    fields = ["id", "chat", "sender", "seq", "text", "voice", "reply_to", "created_at", "updated_at"]
    inlines = [MessageFileInline]
    ordering = ["-created_at"]
    show_full_result_count = False  # no second COUNT(*) over millions of rows on every page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages are sent through the API, which assigns seq and keeps read state

    @admin.display(description=_("text"))
    def short_text(self, message: Message) -> str:
        return Truncator(message.text or "").chars(60) or "—"

    def save_model(self, request: HttpRequest, obj: Message, form: forms.ModelForm, change: bool) -> None:
        # Through the service: the same rules, `updated_at` and `update` event as the sender's edit.
        if "text" in form.changed_data:
            services.message_moderate_update(message_id=obj.pk, text=form.cleaned_data["text"])

    def delete_model(self, request: HttpRequest, obj: Message) -> None:
        # Through the service: counters, last_message, files and the realtime event.
        services.message_moderate_delete(message_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        for message_id in queryset.values_list("pk", flat=True):
            services.message_moderate_delete(message_id=message_id)
