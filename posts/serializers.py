"""Input of the posts endpoints (their output is posts.shapes.PostShape)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from uploads.validators import clean_image


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


class PostListQuerySerializer(serializers.Serializer):
    author = serializers.UUIDField(required=False, help_text="Only this author's posts")
    friends = serializers.BooleanField(required=False, default=False, help_text="`on`: only my friends' posts")
