from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from users.models import User


@pytest.fixture
def creator(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def member(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def outsider(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def as_creator(client_for: Callable[[User], APIClient], creator: User) -> APIClient:
    return client_for(creator)


@pytest.fixture
def as_member(client_for: Callable[[User], APIClient], member: User) -> APIClient:
    return client_for(member)


@pytest.fixture
def as_outsider(client_for: Callable[[User], APIClient], outsider: User) -> APIClient:
    return client_for(outsider)
