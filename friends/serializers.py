from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from friends.models import FriendRequest
from users.models import User
from users.serializers import UserSerializer


class FriendRequestSerializer(serializers.ModelSerializer):
    from_user = UserSerializer(read_only=True)
    to_user = UserSerializer(read_only=True)

    class Meta:
        model = FriendRequest
        fields = ["id", "from_user", "to_user", "created_at"]
        read_only_fields = fields


class FriendRequestCreateSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="The uuid of the user to befriend"
    )


class FriendRequestResultSerializer(serializers.Serializer):
    """The state between you and `user` after the call: friends, or a pending request."""

    user = UserSerializer(read_only=True)
    user_is_friend = serializers.BooleanField(read_only=True)
    request = serializers.SerializerMethodField()

    @extend_schema_field(FriendRequestSerializer(allow_null=True))
    def get_request(self, result) -> dict | None:
        if result.request is None:
            return None
        return FriendRequestSerializer(result.request, context=self.context).data


class UserIsFriendSerializer(serializers.Serializer):
    user_is_friend = serializers.BooleanField()


class FriendRequestListQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["incoming", "outgoing"], default="incoming", required=False)
