from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connection

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


def run_concurrently(tasks: list[Callable[[], object]]) -> list[object]:
    """Run the tasks in threads released together (each with its own database connection); their results."""
    barrier = threading.Barrier(len(tasks))
    results: list[object] = [None] * len(tasks)
    errors: list[BaseException] = []

    def worker(index: int, task: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = task()
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, task)) for i, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results
