from __future__ import annotations

from collections.abc import Sequence

from posts import services
from posts.models import Post
from uploads.validators import clean_image
from users.models import User
from users.tests.helpers import png_upload


def make_post(author: User, description: str = "hello", *, images: int = 0, **fields) -> Post:
    uploads: Sequence = [clean_image(png_upload(f"p{i}.png")) for i in range(images)]
    post = services.post_create(author=author, description=description, images=uploads)
    if fields:
        Post.objects.filter(pk=post.pk).update(**fields)
        post.refresh_from_db()
    return post
