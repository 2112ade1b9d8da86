"""Deadline preview and calendar overrides."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.clock import now
from config.errors import NotFound, ValidationFailed
from procedures.api import ProblemSerializer
from procedures.selectors import centre_get
from workflows.api.common import parse_aware_datetime
from workflows.models import CalendarOverride, OverrideKind, OverrideScope
from workflows.selectors.calendar import centre_calendar, override_visible, overrides_list
from workflows.services.calendar import (
    MAX_YEAR,
    MIN_YEAR,
    calendar_override_create,
    calendar_override_delete,
)
from workflows.worktime import WorktimeError, explain, parse_duration


class SkippedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField()


class PreviewSerializer(serializers.Serializer):
    centre = serializers.CharField()
    start = serializers.DateTimeField()
    effective_start = serializers.DateTimeField()
    duration = serializers.CharField()
    duration_seconds = serializers.IntegerField()
    due_at = serializers.DateTimeField()
    skipped_days = SkippedDaySerializer(many=True)
    extra_working_days = SkippedDaySerializer(many=True)


class DeadlinePreviewView(APIView):
    """The appointment a dossier received now would get, with its explanation."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="Xem trước hạn trả kết quả",
        description=(
            "Tính thời điểm hết hạn theo thời gian làm việc của trung tâm (bỏ qua Thứ Bảy, "
            "Chủ Nhật, ngày lễ, Tết, ngày nghỉ bù, điều chỉnh lịch; tính ngày làm bù)."
        ),
        parameters=[
            OpenApiParameter("centre", str, required=True, description="Mã trung tâm"),
            OpenApiParameter(
                "start",
                str,
                required=True,
                description="ISO 8601 có múi giờ, ví dụ 2026-02-13T10:00:00+07:00",
            ),
            OpenApiParameter(
                "duration", str, required=True, description="ISO 8601 thời gian làm việc: P2D, PT8H"
            ),
        ],
        responses={200: PreviewSerializer, 400: ProblemSerializer},
        tags=["deadlines"],
    )
    def get(self, request):
        params = request.query_params
        start = parse_aware_datetime(params.get("start"), field="start")
        raw_duration = params.get("duration")
        if not raw_duration:
            raise ValidationFailed(
                "Thiếu tham số duration (ví dụ P3D, PT8H).", code="required", field="duration"
            )
        try:
            duration = parse_duration(raw_duration)
        except WorktimeError as e:
            raise ValidationFailed(str(e), code=e.code, field="duration") from None
        code = params.get("centre")
        if not code:
            raise ValidationFailed(
                "Thiếu tham số centre (mã trung tâm).", code="required", field="centre"
            )
        try:
            centre = centre_get(code=code)
        except NotFound as e:
            raise ValidationFailed(e.message, code="unknown_centre", field="centre") from None
        try:
            explanation = explain(start=start, duration=duration, calendar=centre_calendar(centre))
        except WorktimeError as e:
            raise ValidationFailed(str(e), code=e.code, field="start") from None
        return Response({"centre": centre.code, **explanation.as_dict()})


class OverrideSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    scope_label = serializers.CharField(source="get_scope_display", read_only=True)
    province = serializers.CharField(source="province_id", allow_null=True, required=False)
    centre = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = CalendarOverride
        fields = [
            "id",
            "date",
            "kind",
            "kind_label",
            "scope",
            "scope_label",
            "province",
            "centre",
            "reason",
            "created_by",
            "created_at",
        ]

    def get_centre(self, o: CalendarOverride) -> str | None:
        return o.centre.code if o.centre_id else None

    def get_created_by(self, o: CalendarOverride) -> str | None:
        return o.created_by.username if o.created_by_id else None


class OverrideCreateSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=OverrideKind.choices)
    scope = serializers.ChoiceField(choices=OverrideScope.choices)
    province = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=2
    )
    centre = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=5)
    reason = serializers.CharField(max_length=300)
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Xác nhận khi điều chỉnh làm cả một tuần không có thời gian làm việc.",
    )


class OverrideCreatedSerializer(OverrideSerializer):
    centres = serializers.IntegerField(read_only=True)
    moved_due_times = serializers.IntegerField(read_only=True)

    class Meta(OverrideSerializer.Meta):
        fields = [*OverrideSerializer.Meta.fields, "centres", "moved_due_times"]


class CalendarOverrideListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Danh sách điều chỉnh lịch làm việc",
        parameters=[
            OpenApiParameter("year", int, required=False),
            OpenApiParameter("scope", str, required=False),
            OpenApiParameter("centre", str, required=False),
            OpenApiParameter("province", str, required=False),
        ],
        responses={200: OverrideSerializer(many=True)},
        tags=["calendar"],
    )
    def get(self, request):
        params = request.query_params
        year = params.get("year")
        if year and not (year.isascii() and year.isdigit() and MIN_YEAR <= int(year) <= MAX_YEAR):
            raise ValidationFailed(
                f"Năm không hợp lệ (từ {MIN_YEAR} đến {MAX_YEAR}).", code="invalid", field="year"
            )
        qs = overrides_list(
            user=request.user,
            year=int(year) if year else None,
            scope=params.get("scope"),
            centre=params.get("centre"),
            province=params.get("province"),
        )
        return Response(OverrideSerializer(qs, many=True).data)

    @extend_schema(
        summary="Thêm điều chỉnh lịch (quản lý, quản trị)",
        request=OverrideCreateSerializer,
        responses={
            201: OverrideCreatedSerializer,
            400: ProblemSerializer,
            403: ProblemSerializer,
            409: ProblemSerializer,
        },
        tags=["calendar"],
    )
    def post(self, request):
        data = OverrideCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = calendar_override_create(
            actor=request.user,
            at=now(),
            date=v["date"],
            kind=v["kind"],
            scope=v["scope"],
            reason=v["reason"],
            province=v.get("province") or None,
            centre=v.get("centre") or None,
            confirm=v["confirm"],
        )
        body = OverrideSerializer(result.override).data
        body.update(centres=result.centres, moved_due_times=result.moved_due_times)
        return Response(body, status=status.HTTP_201_CREATED)


class CalendarOverrideDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OverrideSerializer, 404: ProblemSerializer}, tags=["calendar"])
    def get(self, request, pk: int):
        override = CalendarOverride.objects.filter(pk=pk).first()
        if override is None or not override_visible(request.user, override):
            raise NotFound(f"Không có điều chỉnh lịch số {pk}.", code="unknown_override")
        return Response(OverrideSerializer(override).data)

    @extend_schema(
        summary="Hủy điều chỉnh lịch (quản lý, quản trị)",
        responses={
            200: inline_serializer(
                "OverrideDeleted",
                {
                    "centres": serializers.IntegerField(),
                    "moved_due_times": serializers.IntegerField(),
                },
            ),
            403: ProblemSerializer,
            404: ProblemSerializer,
        },
        tags=["calendar"],
    )
    def delete(self, request, pk: int):
        result = calendar_override_delete(actor=request.user, at=now(), override_id=pk)
        return Response({"centres": result.centres, "moved_due_times": result.moved_due_times})
