"""The dossier REST API: receive, list, read, act."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.clock import now
from config.errors import ValidationFailed
from procedures.api import ProblemSerializer
from procedures.models import Channel, DocumentKind
from workflows.api.common import parse_aware_datetime
from workflows.models import ReturnMethod
from workflows.selectors import dossiers as sel
from workflows.services import intake
from workflows.services.actions import dossier_act
from workflows.validators import normalise_phone, validate_id_number


def _choice(choices, label: str) -> serializers.ChoiceField:
    values = ", ".join(str(c[0]) for c in choices)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f"{label} phải là một trong: {values}."},
    )


class ApplicantSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=150)
    id_number = serializers.CharField(help_text="Số định danh cá nhân, 12 chữ số")
    phone = serializers.CharField(max_length=20)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    def validate_id_number(self, value: str) -> str:
        value = value.strip()
        try:
            validate_id_number(value)
        except DjangoValidationError as e:
            raise serializers.ValidationError(e.messages[0], code=e.code) from None
        return value

    def validate_phone(self, value: str) -> str:
        try:
            return normalise_phone(value)
        except DjangoValidationError as e:
            raise serializers.ValidationError(e.messages[0], code=e.code) from None


class DocumentSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=500)
    kind = _choice(DocumentKind.choices, "Loại giấy tờ")
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class DossierCreateSerializer(serializers.Serializer):
    procedure = serializers.CharField(max_length=20, help_text="Mã thủ tục, ví dụ 1.001667")
    centre = serializers.CharField(max_length=5, help_text="Mã trung tâm")
    channel = _choice(Channel.choices, "Kênh nộp")
    applicant = ApplicantSerializer()
    documents = DocumentSerializer(many=True, required=False, default=list)
    complete = serializers.BooleanField(required=False, default=True)
    missing_items = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()


class CurrentTaskSerializer(serializers.Serializer):
    step = serializers.CharField()
    role = serializers.CharField()
    unit = inline_serializer(
        "TaskUnit", {"id": serializers.IntegerField(), "name": serializers.CharField()}
    )
    assignee = UserRefSerializer(allow_null=True)
    handed_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)


class CodeName(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DossierSummarySerializer(serializers.Serializer):
    """Documentation of the list item (the data comes from the selector)."""

    code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    procedure = CodeName()
    centre = CodeName()
    channel = serializers.CharField()
    applicant = inline_serializer("ApplicantName", {"full_name": serializers.CharField()})
    submitted_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    original_due_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    timeliness = serializers.CharField(allow_null=True)
    overdue = serializers.BooleanField()
    current_task = CurrentTaskSerializer(allow_null=True)


class HandoverSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    step = serializers.CharField()
    role = serializers.CharField()
    from_unit = serializers.CharField()
    from_officer = UserRefSerializer(allow_null=True)
    to_unit = serializers.CharField()
    to_officer = UserRefSerializer(allow_null=True)
    handed_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    verdict = serializers.CharField(allow_null=True)
    note = serializers.CharField()


class ClockEntrySerializer(serializers.Serializer):
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    reason = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    data = serializers.DictField()
    hash = serializers.CharField()


class DossierDetailSerializer(DossierSummarySerializer):
    applicant = ApplicantSerializer()
    documents = DocumentSerializer(many=True)
    agency = CodeName()
    first_due_at = serializers.DateTimeField(allow_null=True)
    working_time = inline_serializer(
        "WorkingTime",
        {
            "state": serializers.CharField(),
            "budget_seconds": serializers.IntegerField(),
            "used_seconds": serializers.IntegerField(
                help_text="Nghị định 118: từ lần tính lại gần nhất"
            ),
            "left_seconds": serializers.IntegerField(),
            "paused_seconds": serializers.IntegerField(help_text="Thời gian chờ công dân bổ sung"),
            "elapsed_766_seconds": serializers.IntegerField(
                help_text="Quyết định 766: từ lần đầu, trừ thời gian chờ công dân"
            ),
            "day_seconds": serializers.IntegerField(),
            "restarts": serializers.IntegerField(),
            "pauses": serializers.IntegerField(),
        },
        allow_null=True,
    )
    result = serializers.CharField()
    return_method = serializers.CharField(allow_null=True)
    stop_reason = serializers.CharField(allow_null=True)
    handovers = HandoverSerializer(many=True)
    clock = ClockEntrySerializer(many=True)
    supplement_requests = serializers.ListField(child=serializers.DictField())
    extension = serializers.DictField(allow_null=True)
    allowed_actions = serializers.ListField(child=serializers.CharField())
    events = EventSerializer(many=True)


class DossierCreatedSerializer(DossierDetailSerializer):
    tracking_pin = serializers.CharField(help_text="Mã tra cứu 6 số; chỉ trả về một lần.")
    tracking_url = serializers.CharField(
        help_text="Đường dẫn tra cứu có mã truy cập ký số (mã QR trên giấy tiếp nhận)."
    )


def _detail(request, code: str) -> dict:
    dossier = sel.dossier_for_display(code=code, user=request.user)
    return sel.detail(dossier, user=request.user, at=now())


class DossierListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Danh sách hồ sơ (chỉ những hồ sơ người gọi được xem)",
        parameters=[
            OpenApiParameter(
                "status", str, required=False, description="Có thể nhiều, cách nhau dấu phẩy"
            ),
            OpenApiParameter("centre", str, required=False),
            OpenApiParameter("procedure", str, required=False),
            OpenApiParameter("overdue", bool, required=False),
            OpenApiParameter("assigned_to", str, required=False, enum=["me"]),
            OpenApiParameter(
                "q", str, required=False, description="Mã hồ sơ, tên, số định danh, điện thoại"
            ),
            OpenApiParameter("page", int, required=False),
            OpenApiParameter("page_size", int, required=False, description="Tối đa 200"),
        ],
        responses={
            200: inline_serializer(
                "DossierPage",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                    "results": DossierSummarySerializer(many=True),
                },
            )
        },
        tags=["dossiers"],
    )
    def get(self, request):
        from rest_framework.pagination import PageNumberPagination

        params = request.query_params
        overdue = params.get("overdue")
        if overdue not in (None, "", "true", "false"):
            raise ValidationFailed(
                "overdue phải là true hoặc false.", code="invalid", field="overdue"
            )
        assigned = params.get("assigned_to")
        if assigned not in (None, "", "me"):
            raise ValidationFailed(
                "assigned_to chỉ nhận giá trị me.", code="invalid", field="assigned_to"
            )
        at = now()
        qs = sel.dossiers_list(
            user=request.user,
            at=at,
            status=params.get("status"),
            centre=params.get("centre"),
            procedure=params.get("procedure"),
            overdue={"true": True, "false": False}.get(overdue or ""),
            assigned_to_me=assigned == "me",
            q=params.get("q"),
        )
        paginator = PageNumberPagination()
        paginator.page_size_query_param = "page_size"
        paginator.max_page_size = 200
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([sel.summary(d, at=at) for d in page])

    @extend_schema(
        summary="Tiếp nhận hồ sơ (trực tiếp) hoặc đăng ký hồ sơ nộp trực tuyến/bưu chính",
        request=DossierCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="Cùng khóa và cùng nội dung → cùng hồ sơ (200); khác nội dung → 409.",
            )
        ],
        responses={
            201: DossierCreatedSerializer,
            200: DossierDetailSerializer,
            400: ProblemSerializer,
            403: ProblemSerializer,
            409: ProblemSerializer,
        },
        tags=["dossiers"],
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise ValidationFailed(
                "Idempotency-Key tối đa 100 ký tự.", code="invalid", field="Idempotency-Key"
            )
        data = DossierCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        receipt = intake.dossier_receive(
            actor=request.user,
            procedure=v["procedure"],
            centre=v["centre"],
            channel=v["channel"],
            applicant=intake.Applicant(**v["applicant"]),
            documents=[dict(d) for d in v["documents"]],
            complete=v["complete"],
            missing_items=v["missing_items"],
            note=v["note"],
            idempotency_key=key,
            payload=request.data if isinstance(request.data, dict) else {},
        )
        body = _detail(request, receipt.dossier.code)
        if receipt.created:
            from workflows.services.publish import track_url

            body["tracking_pin"] = receipt.pin
            body["tracking_url"] = track_url(receipt.dossier)
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(body, status=status.HTTP_200_OK)


class DossierDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Chi tiết hồ sơ: trạng thái, hạn, phiếu kiểm soát, sổ thời hạn, lịch sử",
        responses={200: DossierDetailSerializer, 403: ProblemSerializer, 404: ProblemSerializer},
        tags=["dossiers"],
    )
    def get(self, request, code: str):
        return Response(_detail(request, code))


# --- actions -----------------------------------------------------------------------------


class EmptySerializer(serializers.Serializer):
    pass


class AssignSerializer(serializers.Serializer):
    officer = serializers.CharField(max_length=150, help_text="Tên đăng nhập của cán bộ")


class AdvanceSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    result = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="Kết quả (ví dụ số quyết định), khi hoàn thành bước cuối",
    )


class RequestSupplementSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)
    items = serializers.ListField(child=serializers.CharField(max_length=500), min_length=1)


class SupplementSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ExtendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)
    new_due_at = serializers.CharField(help_text="ISO 8601 có múi giờ")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class ReturnSerializer(serializers.Serializer):
    method = _choice(ReturnMethod.choices, "Hình thức trả kết quả")


def _run(action: str, request, code: str, v: dict) -> None:
    v = dict(v)
    if action == "extend":
        v["new_due_at"] = parse_aware_datetime(v["new_due_at"], field="new_due_at")
    dossier_act(actor=request.user, code=code, action=action, **v)


ACTION_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "accept": EmptySerializer,
    "claim": EmptySerializer,
    "assign": AssignSerializer,
    "advance": AdvanceSerializer,
    "request-supplement": RequestSupplementSerializer,
    "supplement": SupplementSerializer,
    "extend": ExtendSerializer,
    "refuse": ReasonSerializer,
    "withdraw": ReasonSerializer,
    "close": EmptySerializer,
    "return": ReturnSerializer,
}

ACTION_SUMMARIES = {
    "accept": "Tiếp nhận hồ sơ nộp trực tuyến/bưu chính (bắt đầu tính thời hạn)",
    "claim": "Nhận xử lý bước hiện tại",
    "assign": "Phân công bước hiện tại cho cán bộ",
    "advance": "Hoàn thành bước hiện tại, chuyển bước tiếp theo",
    "request-supplement": "Yêu cầu bổ sung hồ sơ (một lần)",
    "supplement": "Nhận hồ sơ bổ sung",
    "extend": "Xin lỗi và hẹn lại ngày trả kết quả (một lần)",
    "refuse": "Từ chối giải quyết",
    "withdraw": "Công dân rút hồ sơ",
    "close": "Dừng giải quyết do quá hạn bổ sung 15 ngày",
    "return": "Trả kết quả cho công dân",
}


def _action_view(action: str) -> type[APIView]:
    serializer_class = ACTION_SERIALIZERS[action]

    class ActionView(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(
            operation_id=f"dossier_{action.replace('-', '_')}",
            summary=ACTION_SUMMARIES[action],
            request=serializer_class,
            responses={
                200: DossierDetailSerializer,
                400: ProblemSerializer,
                403: ProblemSerializer,
                404: ProblemSerializer,
                409: inline_serializer(
                    f"Conflict_{action.replace('-', '_')}",
                    {
                        "error": serializers.CharField(),
                        "message": serializers.CharField(),
                        "status": serializers.CharField(required=False),
                        "allowed_actions": serializers.ListField(
                            child=serializers.CharField(), required=False
                        ),
                    },
                ),
            },
            tags=["dossiers"],
        )
        def post(self, request, code: str):
            data = serializer_class(data=request.data)
            data.is_valid(raise_exception=True)
            _run(action, request, code, data.validated_data)
            return Response(_detail(request, code))

    ActionView.__name__ = f"Dossier{action.title().replace('-', '')}View"
    return ActionView


ACTION_VIEWS = {action: _action_view(action) for action in ACTION_SERIALIZERS}


class DossierReissuePinView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="dossier_reissue_pin",
        summary="Cấp lại mã tra cứu (mã cũ và đường dẫn QR cũ hết hiệu lực)",
        request=None,
        responses={
            200: inline_serializer(
                "PinReissued",
                {
                    "code": serializers.CharField(),
                    "tracking_pin": serializers.CharField(help_text="Chỉ trả về một lần."),
                    "tracking_url": serializers.CharField(
                        help_text="Đường dẫn tra cứu có mã truy cập ký số (in trên mã QR)."
                    ),
                },
            ),
            403: ProblemSerializer,
            404: ProblemSerializer,
        },
        tags=["dossiers"],
    )
    def post(self, request, code: str):
        from workflows.services.publish import track_url
        from workflows.services.tracking import dossier_reissue_pin

        if request.data:  # read, so that a malformed body is refused rather than ignored
            raise ValidationFailed("Yêu cầu này không nhận dữ liệu.", code="unexpected_body")
        issued = dossier_reissue_pin(actor=request.user, code=code)
        return Response(
            {
                "code": issued.dossier.code,
                "tracking_pin": issued.pin,
                "tracking_url": track_url(issued.dossier),
            }
        )


class CorrectEndSerializer(serializers.Serializer):
    ended_at = serializers.DateTimeField(help_text="Thời điểm kết thúc xử lý đúng, có múi giờ.")
    reason = serializers.CharField(max_length=1000, help_text="Lý do sửa (ít nhất 10 ký tự).")


class DossierCorrectEndView(APIView):
    """A reasoned correction of a wrong end time by a centre's manager."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="dossier_correct_end",
        summary="Sửa thời điểm kết thúc xử lý (sự kiện mới trong lịch sử, có lý do)",
        request=CorrectEndSerializer,
        responses={
            200: dict,
            400: ProblemSerializer,
            403: ProblemSerializer,
            404: ProblemSerializer,
            409: ProblemSerializer,
        },
        tags=["dossiers"],
    )
    def post(self, request, code: str):
        from workflows.services.corrections import dossier_correct_end

        body = CorrectEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dossier = dossier_correct_end(
            actor=request.user,
            code=code,
            ended_at=body.validated_data["ended_at"],
            reason=body.validated_data["reason"],
        )
        return Response(
            {
                "code": dossier.code,
                "ended_at": dossier.ended_at,
                "timeliness": dossier.timeliness,
                "verdict_766": dossier.verdict_766,
                "corrections": dossier.corrections,
            }
        )
