from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from posts.models import Post
from uploads.validators import clean_image
from users.serializers import UserSerializer


class PostSerializer(serializers.ModelSerializer):
    """A post as every endpoint shows it. Needs the post from posts.selectors (annotations and prefetches)."""

    author = UserSerializer(read_only=True)
    images = serializers.SerializerMethodField(help_text="Absolute URLs of the images, in upload order")
    liked_by_me = serializers.SerializerMethodField()
    recent_likers = serializers.SerializerMethodField(help_text="Up to 3 users who liked the post last")
    views = serializers.IntegerField(source="views_count", read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "author",
            "description",
            "images",
            "likes_count",
            "liked_by_me",
            "recent_likers",
            "views",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.URLField()))
    def get_images(self, post: Post) -> list[str]:
        return [image.file.url for image in post.images.all()]

    @extend_schema_field(serializers.BooleanField())
    def get_liked_by_me(self, post: Post) -> bool:
        return bool(getattr(post, "liked_by_me", False))

    @extend_schema_field(UserSerializer(many=True))
    def get_recent_likers(self, post: Post) -> list[dict[str, Any]]:
        likes = getattr(post, "recent_likes", [])
        return UserSerializer([like.user for like in likes], many=True, context=self.context).data


class PostWriteSerializer(serializers.Serializer):
    """Input of create (multipart: `description` and `images` repeated; or JSON without images) and edit."""

    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False, use_url=False),
        required=False,
        help_text="Image files: repeat the `images` part once per image. On edit they replace all the current ones "
        "(JSON `[]` removes them).",
    )

    def validate_description(self, value: str) -> str:
        limit = settings.CONSTANTS.POST_DESCRIPTION_MAX_LENGTH
        if len(value) > limit:
            raise serializers.ValidationError(
                _("Ensure this field has no more than %(limit)d characters.") % {"limit": limit}
            )
        return value

    def validate_images(self, value: list) -> list:
        limit = settings.CONSTANTS.POST_MAX_IMAGES
        if len(value) > limit:
            raise serializers.ValidationError(_("A post can have at most %(limit)d images.") % {"limit": limit})
        return [clean_image(upload) for upload in value]


class PostViewResultSerializer(serializers.Serializer):
    views = serializers.IntegerField(help_text="The post's view count after this view")


class PostListQuerySerializer(serializers.Serializer):
    author = serializers.UUIDField(required=False, help_text="Only this author's posts")
    friends = serializers.BooleanField(required=False, default=False, help_text="`on`: only my friends' posts")
