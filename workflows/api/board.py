"""The wall board's counts over HTTP: what the board page polls when its
socket cannot be live (the channel layer is down)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.clock import now
from config.errors import NotFound
from procedures.api import ProblemSerializer
from workflows.selectors.board import board_centre, board_counts

BoardCounts = inline_serializer(
    "BoardCounts",
    {
        "type": serializers.CharField(),
        "centre": serializers.DictField(),
        "at": serializers.DateTimeField(),
        "received_today": serializers.IntegerField(),
        "due_today": serializers.IntegerField(),
        "at_risk": serializers.IntegerField(),
        "overdue": serializers.IntegerField(),
        "in_queue": serializers.IntegerField(),
    },
)


class BoardCountsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Số liệu màn hình theo dõi của trung tâm",
        description="Cho cán bộ có phạm vi gồm trung tâm, hoặc với khóa màn hình (key).",
        parameters=[OpenApiParameter("key", str, required=False, description="Khóa màn hình")],
        responses={200: BoardCounts, 404: ProblemSerializer},
        tags=["directory"],
    )
    def get(self, request, centre: str):
        centre_obj = board_centre(
            code=centre, user=request.user, key=request.query_params.get("key", "")
        )
        if centre_obj is None:
            raise NotFound(f"Không có trung tâm mã {centre}.", code="unknown_centre")
        return Response(board_counts(centre=centre_obj, at=now()))
