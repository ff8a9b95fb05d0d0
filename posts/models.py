"""Posts with images, likes and views.

`likes_count` and `views_count` are counters on the post, changed with `F()` updates only when a like or view row
was really inserted or deleted (see posts/services.py), so lists read them for free instead of counting rows.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from application.constants import Constants
from uploads.paths import UnguessablePath


class Post(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    description = models.TextField(blank=True, default="", max_length=Constants.POST_DESCRIPTION_MAX_LENGTH)
    likes_count = models.PositiveIntegerField(default=0)
    views_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The feed's keyset: ORDER BY created_at DESC, id DESC, and the same per author.
            models.Index(fields=["-created_at", "-id"], name="post_feed_idx"),
            models.Index(fields=["author", "-created_at", "-id"], name="post_author_feed_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.id} by {self.author_id}"


class PostImage(models.Model):
    id = models.BigAutoField(primary_key=True)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=UnguessablePath("posts"), max_length=255)
    position = models.PositiveSmallIntegerField(default=0)
    # The displayed size and a thumbnail (uploads.thumbnails); null for images stored before they existed.
    thumbnail = models.FileField(upload_to=UnguessablePath("thumbnails"), max_length=255, null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["post", "position", "id"]

    def __str__(self) -> str:
        return self.file.name


class PostLike(models.Model):
    id = models.BigAutoField(primary_key=True)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="postlike_unique_post_user")]
        indexes = [models.Index(fields=["post", "-created_at", "-id"], name="postlike_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class PostView(models.Model):
    """A user has seen a post: one row per (post, user), so a view is counted once."""

    id = models.BigAutoField(primary_key=True)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="post_views")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="postview_unique_post_user")]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.post_id}"
