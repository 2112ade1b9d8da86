"""REST API of the caller's notifications: list, mark read."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import ValidationFailed
from notifications import selectors, services
from notifications.models import Notification
from procedures.api import ProblemSerializer


# The socket's payload plus ``read_at``, produced by
# ``selectors.notification_payload`` so that the two never drift apart; the
# fields below document it.
class NotificationSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Luôn là «notification».")
    id = serializers.IntegerField(help_text="Tăng dần; dùng làm mốc «after».")
    kind = serializers.CharField(help_text="Loại thông báo, ví dụ queue.new, task.assigned.")
    dossier = serializers.CharField(help_text="Mã hồ sơ liên quan (có thể trống).")
    title = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField(help_text="ISO 8601, giờ Việt Nam (+07:00).")
    data = serializers.DictField(help_text="Dữ liệu kèm theo (JSON).")
    read_at = serializers.DateTimeField(allow_null=True, help_text="Null nếu chưa đọc.")

    def to_representation(self, instance: Notification) -> dict:
        return selectors.notification_payload(instance, with_read_at=True)


def _audience(request) -> selectors.Audience:
    audience = selectors.audience_for(request.user)
    assert audience is not None  # IsAuthenticated
    return audience


def _after(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValidationFailed(
            f"Tham số after phải là số nguyên không âm (id thông báo), không phải «{raw}».",
            code="invalid_after",
            field="after",
        )
    return value


def _flag(raw: str | None, *, field: str) -> bool:
    if raw in (None, ""):
        return False
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValidationFailed(
        f"Tham số {field} phải là true hoặc false, không phải «{raw}».",
        code="invalid_boolean",
        field=field,
    )


class NotificationListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.notifications_list(
            audience=_audience(self.request),
            after=_after(params.get("after")),
            unread=_flag(params.get("unread"), field="unread"),
        )

    @extend_schema(
        operation_id="notifications_list",
        summary="Thông báo của tôi (cá nhân, bộ phận, trung tâm), mới nhất trước",
        parameters=[
            OpenApiParameter(
                "after", int, required=False, description="Chỉ lấy thông báo có id lớn hơn."
            ),
            OpenApiParameter(
                "unread", bool, required=False, description="true: chỉ thông báo chưa đọc."
            ),
        ],
        responses={200: NotificationSerializer(many=True), 400: ProblemSerializer},
        tags=["notifications"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read",
        request=None,
        summary="Đánh dấu một thông báo đã đọc",
        description="Không đổi thời điểm đọc nếu đã đọc trước đó. Thông báo gửi bộ phận "
        "hoặc trung tâm đọc chung: một cán bộ đọc là đã đọc cho cả bộ phận.",
        responses={200: NotificationSerializer, 404: ProblemSerializer},
        tags=["notifications"],
    )
    def post(self, request, pk: int):
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
        return Response(NotificationSerializer(notification).data)


class ReadAllSerializer(serializers.Serializer):
    up_to = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Chỉ đánh dấu thông báo có id ≤ up_to (id lớn nhất đang hiển thị), "
        "để thông báo đến sau vẫn là chưa đọc.",
    )


class NotificationReadAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read_all",
        request=ReadAllSerializer,
        summary="Đánh dấu tất cả thông báo của tôi đã đọc",
        responses={
            200: inline_serializer(
                "NotificationReadAllResponse",
                {
                    "updated": serializers.IntegerField(help_text="Số thông báo vừa đánh dấu."),
                    "unread": serializers.IntegerField(help_text="Số thông báo còn chưa đọc."),
                },
            ),
            400: ProblemSerializer,
        },
        tags=["notifications"],
    )
    def post(self, request):
        body = ReadAllSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        updated = services.notification_mark_all_read(
            user=request.user, up_to=body.validated_data.get("up_to")
        )
        unread = selectors.notifications_unread_count(_audience(request))
        return Response({"updated": updated, "unread": unread})
