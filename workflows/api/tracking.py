"""Public tracking by dossier code and PIN, and the citizen's rating."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from procedures.api import ProblemSerializer
from workflows.models import RatingScore
from workflows.selectors.dossiers import tracking
from workflows.services.endings import dossier_rate
from workflows.services.tracking import tracking_access


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


_ACCESS = [
    OpenApiParameter(
        "pin",
        str,
        required=False,
        description="Mã tra cứu 6 số trên giấy tiếp nhận (giới hạn số lần nhập sai)",
    ),
    OpenApiParameter(
        "t",
        str,
        required=False,
        description="Mã truy cập ký số trong mã QR và tin nhắn (thay cho mã tra cứu)",
    ),
]


def _access(request, code: str):
    params = request.query_params
    return tracking_access(
        code=code,
        pin=params.get("pin", ""),
        token=params.get("t", ""),
        address=client_address(request),
    )


TimelineEntry = inline_serializer(
    "TimelineEntry",
    {
        "status": serializers.CharField(),
        "status_label": serializers.CharField(),
        "at": serializers.DateTimeField(),
    },
)


class TrackingSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure_name = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    timeline = serializers.ListField(child=serializers.DictField())
    applicant_name = serializers.CharField(help_text="Đã che, ví dụ «Nguyễn V*** A**»")
    supplement_items = serializers.ListField(child=serializers.CharField())
    supplement = serializers.DictField(
        allow_null=True, help_text="Yêu cầu bổ sung đang chờ: items, reason, requested_at, deadline"
    )
    refusal = serializers.DictField(allow_null=True, help_text="Lý do từ chối: reason, at")
    withdrawal = serializers.DictField(allow_null=True, help_text="Lý do rút hồ sơ: reason, at")
    extension = serializers.DictField(
        allow_null=True,
        help_text="Hẹn lại: reason, at, previous_due_at, new_due_at",
    )
    rating = serializers.DictField(
        allow_null=True, help_text="Đánh giá đã gửi: score, score_label, comment, at"
    )
    can_rate = serializers.BooleanField()


class TrackView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Công dân tra cứu hồ sơ (không cần đăng nhập)",
        parameters=_ACCESS,
        responses={200: TrackingSerializer, 404: ProblemSerializer, 429: ProblemSerializer},
        tags=["tracking"],
    )
    def get(self, request, code: str):
        return Response(tracking(_access(request, code)))


class RatingSerializer(serializers.Serializer):
    score = serializers.ChoiceField(
        choices=RatingScore.choices,
        error_messages={
            "invalid_choice": "Mức đánh giá phải là very_satisfied, satisfied hoặc dissatisfied."
        },
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class RatingView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Công dân đánh giá sự hài lòng (một lần, sau khi nhận kết quả)",
        parameters=_ACCESS,
        request=RatingSerializer,
        responses={
            201: inline_serializer(
                "RatingCreated",
                {"score": serializers.CharField(), "comment": serializers.CharField()},
            ),
            404: ProblemSerializer,
            409: ProblemSerializer,
            429: ProblemSerializer,
        },
        tags=["tracking"],
    )
    def post(self, request, code: str):
        dossier = _access(request, code)
        data = RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = dossier_rate(code=dossier.code, **data.validated_data)
        return Response(
            {"score": rating.score, "comment": rating.comment}, status=status.HTTP_201_CREATED
        )
