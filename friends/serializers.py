"""Input of the friends endpoints (their output is friends.shapes)."""

from __future__ import annotations

from rest_framework import serializers

from users.models import User


class FriendRequestCreateSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="The uuid of the user to befriend"
    )


class FriendRequestListQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["incoming", "outgoing"], default="incoming", required=False)
