"""Users in the admin (here rather than in `users`: deleting one is the account deletion, which spans every app)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import account_moderate_delete
from uploads.forms import clean_image_upload
from users.models import AuthSession, User
from users.services import user_moderate_update


class OnlineNowFilter(admin.SimpleListFilter):
    title = _("online now")
    parameter_name = "online"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        since = timezone.now() - settings.CONSTANTS.ONLINE_WINDOW
        if self.value() == "yes":
            return queryset.filter(last_online_at__gte=since)
        if self.value() == "no":
            return queryset.filter(last_online_at__lt=since)
        return queryset


class AuthSessionInline(admin.TabularInline):
    model = AuthSession
    extra = 0
    fields = ["id", "generation", "created_at", "refreshed_at", "expires_at"]
    readonly_fields = fields


class UserChangeForm(BaseUserAdmin.form):
    def clean_avatar(self) -> object:
        return clean_image_upload(self.cleaned_data["avatar"])


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "is_online_now",
        "last_online_at",
        "date_joined",
    ]
    list_filter = [OnlineNowFilter, ("date_joined", admin.DateFieldListFilter), "is_staff", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["-date_joined"]
    readonly_fields = ["id", "last_online_at", "date_joined", "last_login"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Messenger"), {"fields": ["id", "bio", "status", "avatar", "last_online_at"]}),
    ]
    inlines = [AuthSessionInline]

    @admin.display(boolean=True, description=_("online"))
    def is_online_now(self, user: User) -> bool:
        return user.is_online

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)  # a new account: the add form's username and password
            return
        # Through the service, as the owner's change: a replaced avatar's file goes after commit.
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name not in {"groups", "user_permissions"}
        }
        if "avatar" in changes:
            changes["avatar"] = changes["avatar"] or None  # False: "clear" was ticked
        if changes:
            user_moderate_update(user_id=obj.pk, **changes)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        # The account's deletion, as the API runs it: the other members' chats stay consistent, and are told.
        account_moderate_delete(user_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user_id in queryset.values_list("pk", flat=True):
            account_moderate_delete(user_id=user_id)
