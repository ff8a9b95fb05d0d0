from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from chats.models import Chat
from chats.selectors import parse_uuid
from messages import services
from messages.models import Message, MessageFile, Reaction
from messages.serializers import validate_message_text


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
    readonly_fields = ["item", "name", "thumbnail", "width", "height"]

    def has_add_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


class MessageForm(forms.ModelForm):
    """The text is checked by the API's rules (its length, and that a message keeps some content) before the
    service is called: a refused edit is an error on the field, not a server error."""

    class Meta:
        model = Message
        fields = ["text"]

    def clean_text(self) -> str | None:
        try:
            text = validate_message_text(self.cleaned_data["text"])
            services.message_text_check(self.instance, text)
        except ValidationError as exc:
            detail = exc.detail["text"] if isinstance(exc.detail, dict) else exc.detail
            raise forms.ValidationError([str(error) for error in detail]) from exc
        return text


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    form = MessageForm
    list_display = ["short_text", "sender", "chat", "seq", "pinned_at", "created_at", "updated_at"]
    list_filter = [ChatFilter, ("created_at", admin.DateFieldListFilter), ("pinned_at", admin.EmptyFieldListFilter)]
    search_fields = ["text", "sender__username"]
    list_select_related = ["sender", "chat"]
    raw_id_fields = ["chat", "sender", "reply_to"]
    readonly_fields = [
        "id",
        "chat",
        "sender",
        "seq",
        "voice",
        "reply_to",
        "pinned_at",
        "pinned_by",
        "reactions_summary",
        "created_at",
        "updated_at",
    ]
    fields = [
        "id",
        "chat",
        "sender",
        "seq",
        "text",
        "voice",
        "reply_to",
        "pinned_at",
        "pinned_by",
        "reactions_summary",
        "created_at",
        "updated_at",
    ]
    inlines = [MessageFileInline]
    actions = ["unpin"]
    ordering = ["-created_at"]
    show_full_result_count = False  # no second COUNT(*) over millions of rows on every page

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages are sent through the API, which assigns seq and keeps read state

    @admin.action(description=_("Unpin the selected messages"))
    def unpin(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        for message_id in queryset.filter(pinned_at__isnull=False).values_list("pk", flat=True):
            services.message_moderate_unpin(message_id=message_id)

    @admin.display(description=_("reactions"))
    def reactions_summary(self, message: Message) -> str:
        # Moderators remove a reaction on the Reactions page (through the service, with its event).
        counts: dict[str, int] = {}
        for emoji in Reaction.objects.filter(message=message).values_list("emoji", flat=True):
            counts[emoji] = counts.get(emoji, 0) + 1
        return " ".join(f"{emoji} {count}" for emoji, count in counts.items()) or "—"

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


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    """Moderation of reactions: removal goes through the service (the members get the message's `update`)."""

    list_display = ["emoji", "user", "message", "created_at"]
    list_select_related = ["user", "message"]
    search_fields = ["emoji", "user__username"]
    raw_id_fields = ["message", "user"]
    readonly_fields = ["message", "user", "emoji", "created_at"]
    ordering = ["-id"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Reaction | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Reaction) -> None:
        services.reaction_moderate_delete(reaction_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Reaction]) -> None:
        for reaction_id in queryset.values_list("pk", flat=True):
            services.reaction_moderate_delete(reaction_id=reaction_id)
