"""REST API of the catalogue and the directory (public, read-only) and the
token endpoint."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.clock import local_now
from config.errors import ValidationFailed
from procedures import selectors
from procedures.models import ProcedureVersion, ServiceCentre


class ProblemSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="Mã lỗi máy đọc được.")
    message = serializers.CharField(help_text="Thông báo tiếng Việt.")
    fields = serializers.DictField(required=False)


# ---------------------------------------------------------------------------
# Token
# ---------------------------------------------------------------------------


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: ProblemSerializer,
        },
        summary="Lấy token xác thực API",
        tags=["auth"],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The Django request, so that django-axes counts the failure and
        # answers a locked-out caller with its 429.
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise ValidationFailed(
                "Tên đăng nhập hoặc mật khẩu không đúng.", code="invalid_credentials"
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


# ---------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------


class StepSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    budget_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)


class DocumentSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    quantity = serializers.IntegerField()
    mandatory = serializers.BooleanField()
    note = serializers.CharField()


class VersionSummarySerializer(serializers.Serializer):
    effective_from = serializers.DateField()
    time_limit = serializers.CharField(help_text="ISO 8601, thời gian làm việc: P6D, PT8H")
    fee = serializers.IntegerField()
    channels = serializers.ListField(child=serializers.CharField())
    online_level = serializers.CharField()


class VersionSerializer(VersionSummarySerializer):
    time_limit_label = serializers.SerializerMethodField()
    reception_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False
    )
    return_hours = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    fee_note = serializers.CharField()
    result_kind = serializers.CharField()
    legal_basis = serializers.CharField()
    steps = StepSerializer(many=True)
    documents = DocumentSerializer(many=True)

    def get_time_limit_label(self, version: ProcedureVersion) -> str:
        return f"{version.limit_value} {version.get_limit_unit_display()}"


class SectorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProcedureListSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    sector = SectorSerializer()
    agency_kind = serializers.CharField()
    agency_kind_label = serializers.CharField(source="get_agency_kind_display")
    current_version = serializers.SerializerMethodField()

    def _version(self, procedure):
        return selectors.version_from_prefetched(procedure, self.context["on"])

    def get_current_version(self, procedure) -> dict | None:
        version = self._version(procedure)
        return VersionSummarySerializer(version).data if version else None


class ProcedureDetailSerializer(ProcedureListSerializer):
    versions = serializers.SerializerMethodField()

    def get_current_version(self, procedure) -> dict | None:
        version = self._version(procedure)
        return VersionSerializer(version).data if version else None

    def get_versions(self, procedure) -> list[dict]:
        return [
            {"effective_from": v.effective_from.isoformat(), "time_limit": v.time_limit}
            for v in sorted(procedure.versions.all(), key=lambda v: v.effective_from)
        ]


def _on_date(request) -> dt.date:
    raw = request.query_params.get("on")
    if not raw:
        return local_now().date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"Ngày không hợp lệ: {raw!r}; dùng dạng YYYY-MM-DD.", code="invalid_date", field="on"
        ) from None


_ON = OpenApiParameter(
    "on", str, description="Ngày áp dụng (YYYY-MM-DD); mặc định hôm nay.", required=False
)


class ProcedureListView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProcedureListSerializer

    def get_queryset(self):
        return selectors.procedures_list(
            sector=self.request.query_params.get("sector"), q=self.request.query_params.get("q")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "on": _on_date(self.request)}

    @extend_schema(
        summary="Danh mục thủ tục hành chính",
        parameters=[
            _ON,
            OpenApiParameter("sector", str, required=False, description="Mã lĩnh vực"),
            OpenApiParameter("q", str, required=False, description="Tìm theo tên hoặc mã"),
        ],
        tags=["catalogue"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProcedureDetailView(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProcedureDetailSerializer

    def get_object(self):
        return selectors.procedure_get(code=self.kwargs["code"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "on": _on_date(self.request)}

    @extend_schema(
        summary="Chi tiết thủ tục: phiên bản đang áp dụng, các bước, thành phần hồ sơ",
        parameters=[_ON],
        responses={200: ProcedureDetailSerializer, 404: ProblemSerializer},
        tags=["catalogue"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# ---------------------------------------------------------------------------
# Centres
# ---------------------------------------------------------------------------


class CentreSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    identifier = serializers.CharField()
    commune = serializers.SerializerMethodField()
    province = serializers.SerializerMethodField()
    saturday_reception = serializers.BooleanField()

    def get_commune(self, centre: ServiceCentre) -> dict:
        return {"code": centre.commune.code, "name": centre.commune.name}

    def get_province(self, centre: ServiceCentre) -> dict:
        province = centre.commune.province
        return {"code": province.code, "name": province.name}


class CentreDetailSerializer(CentreSerializer):
    address = serializers.CharField()
    phone = serializers.CharField()
    office_hours = serializers.JSONField()
    saturday_reception_hours = serializers.JSONField()


class CentreListView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CentreSerializer

    def get_queryset(self):
        return selectors.centres_list(province=self.request.query_params.get("province"))

    @extend_schema(
        summary="Trung tâm phục vụ hành chính công",
        parameters=[
            OpenApiParameter("province", str, required=False, description="Mã tỉnh, ví dụ 38")
        ],
        tags=["directory"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CentreDetailView(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = CentreDetailSerializer

    def get_object(self):
        return selectors.centre_get(code=self.kwargs["code"])

    @extend_schema(
        summary="Chi tiết trung tâm và giờ làm việc",
        responses={200: CentreDetailSerializer, 404: ProblemSerializer},
        tags=["directory"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
