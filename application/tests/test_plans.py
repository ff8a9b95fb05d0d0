"""application.plans: inside `custom_plans`, statements are not prepared (each run is planned for its values), and
the connection prepares again afterwards, also when the block failed."""

from __future__ import annotations

import pytest
from django.db import connection

from application.plans import custom_plans
from users.models import User

pytestmark = pytest.mark.django_db


def _prepared(marker: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
        return int(cursor.fetchone()[0])


def test_nothing_is_prepared_inside_and_the_threshold_comes_back() -> None:
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold is not None
    with custom_plans(User), connection.cursor() as cursor:
        for _ in range(threshold + 3):
            cursor.execute("SELECT %s::int AS planned_inside", [1])
    assert _prepared("planned_inside") == 0
    with pytest.raises(RuntimeError), custom_plans(User):
        raise RuntimeError("the block failed")
    assert connection.connection.prepare_threshold == threshold
    with connection.cursor() as cursor:
        for _ in range(threshold + 3):
            cursor.execute("SELECT %s::int AS planned_outside", [1])
    assert _prepared("planned_outside") == 1
