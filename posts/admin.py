"""Moderation of posts: find them by description or author, filter by date, look at the images, delete."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from posts import services
from posts.models import Post, PostImage


class PostImageFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        # The post's rule, before anything is saved: removing the last image of a post without a description would
        # leave an empty post (the post is deleted instead).
        super().clean()
        kept = [form for form in self.forms if form not in self.deleted_forms]
        try:
            services.post_content_check(self.instance.description, has_images=bool(kept))
        except ValidationError as exc:
            raise forms.ValidationError([str(error) for error in exc.detail["description"]]) from exc


class PostImageInline(admin.TabularInline):
    model = PostImage
    formset = PostImageFormSet
    extra = 0
    fields = ["preview", "file", "position"]
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request: HttpRequest, obj: Post | None = None) -> bool:
        return False  # images come only through the API, which validates and re-encodes them

    @admin.display(description=_("preview"))
    def preview(self, image: PostImage) -> str:
        if not image.file:
            return "-"
        return format_html('<a href="{0}" target="_blank"><img src="{0}" style="max-height:120px"></a>', image.file.url)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "short_description", "images_count", "likes_count", "views_count", "created_at"]
    list_filter = [("created_at", admin.DateFieldListFilter)]
    search_fields = ["description", "author__username", "author__first_name", "author__last_name", "=author__id"]
    date_hierarchy = "created_at"
    list_select_related = ["author"]
    raw_id_fields = ["author"]
    # Moderation looks, removes images and deletes; a post's description is its author's to write.
    readonly_fields = ["id", "author", "description", "likes_count", "views_count", "created_at", "updated_at"]
    fields = ["id", "author", "description", "likes_count", "views_count", "created_at", "updated_at"]
    ordering = ["-created_at", "-id"]
    inlines = [PostImageInline]
    actions = ["delete_with_files"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # posts are published through the API

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by delete_with_files, which also removes the files
        return actions

    @admin.display(description=_("description"))
    def short_description(self, post: Post) -> str:
        return post.description if len(post.description) <= 80 else post.description[:79] + "…"

    @admin.display(description=_("images"))
    def images_count(self, post: Post) -> int:
        return len(post.images.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Post]:
        return super().get_queryset(request).prefetch_related("images")

    @admin.action(description=_("Delete selected posts with their images"), permissions=["delete"])
    def delete_with_files(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        deleted = services.posts_remove(queryset)
        self.message_user(request, _("Deleted %(count)d object(s).") % {"count": deleted})

    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        services.posts_remove(Post.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        services.posts_remove(queryset)

    def save_model(self, request: HttpRequest, obj: Post, form, change: bool) -> None:
        pass  # nothing of the post itself is edited here (every field is read-only)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # Images removed in the inline, through the service: their files go once the change has committed.
        formset.save(commit=False)
        removed = [image.pk for image in formset.deleted_objects]
        if removed:
            services.post_images_moderate_remove(post_id=form.instance.pk, image_ids=removed)
