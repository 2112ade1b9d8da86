"""The small form of each action on the dossier page. They only shape what
the officer typed; every rule (who may, when, how often) is the services'."""

from __future__ import annotations

from django import forms

from config.clock import LOCAL_TZ
from workflows.models import ReturnMethod

REASON = {"max_length": 1000, "widget": forms.Textarea(attrs={"rows": 2})}


class EmptyForm(forms.Form):
    pass


class AssignForm(forms.Form):
    officer = forms.ChoiceField(label="Giao cho cán bộ", choices=())

    def __init__(self, *args, officers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].choices = [("", "— chọn cán bộ —")] + [
            (o.user.username, o.full_name or o.user.username) for o in officers
        ]


class AdvanceForm(forms.Form):
    note = forms.CharField(label="Ý kiến xử lý", required=False, **REASON)
    result = forms.CharField(
        label="Kết quả (số quyết định…, ở bước cuối)", required=False, max_length=500
    )


class RequestSupplementForm(forms.Form):
    items = forms.CharField(
        label="Giấy tờ cần bổ sung (mỗi dòng một loại)",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(label="Lý do", **REASON)

    def clean_items(self):
        items = [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]
        if not items:
            raise forms.ValidationError("Cần ghi ít nhất một giấy tờ cần bổ sung.")
        if any(len(item) > 500 for item in items):
            raise forms.ValidationError("Mỗi giấy tờ tối đa 500 ký tự.")
        return items


class SupplementForm(forms.Form):
    note = forms.CharField(label="Ghi chú (giấy tờ đã nhận)", required=False, **REASON)


class ExtendForm(forms.Form):
    new_due_at = forms.DateTimeField(
        label="Hẹn trả kết quả mới",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(label="Lý do xin lỗi và hẹn lại", **REASON)

    def clean_new_due_at(self):
        value = self.cleaned_data["new_due_at"]
        # Typed as a Vietnam wall-clock time, whatever the server's zone.
        return value.replace(tzinfo=None).replace(tzinfo=LOCAL_TZ) if value else value


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Lý do", **REASON)


class ReturnForm(forms.Form):
    method = forms.ChoiceField(label="Hình thức trả kết quả", choices=ReturnMethod.choices)


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "accept": EmptyForm,
    "claim": EmptyForm,
    "assign": AssignForm,
    "advance": AdvanceForm,
    "request-supplement": RequestSupplementForm,
    "supplement": SupplementForm,
    "extend": ExtendForm,
    "refuse": ReasonForm,
    "withdraw": ReasonForm,
    "close": EmptyForm,
    "return": ReturnForm,
}

ACTION_LABELS = {
    "accept": "Tiếp nhận hồ sơ",
    "claim": "Nhận xử lý",
    "assign": "Phân công",
    "advance": "Hoàn thành bước, chuyển tiếp",
    "request-supplement": "Yêu cầu bổ sung",
    "supplement": "Nhận hồ sơ bổ sung",
    "extend": "Xin lỗi và hẹn lại",
    "refuse": "Từ chối giải quyết",
    "withdraw": "Rút hồ sơ (theo đề nghị của công dân)",
    "close": "Dừng giải quyết (quá hạn bổ sung)",
    "return": "Trả kết quả",
}

#: The statutory form to print after an action, where there is one.
ACTION_PRINTS = {
    "request-supplement": ("02", "Mẫu 02 – Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "refuse": ("03", "Mẫu 03 – Phiếu từ chối giải quyết hồ sơ"),
    "extend": ("04", "Mẫu 04 – Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "close": ("05", "Mẫu 05 – Thông báo dừng giải quyết hồ sơ"),
    "return": ("06", "Mẫu 06 – Sổ theo dõi (dòng trả kết quả)"),
}

EVENT_LABELS = {
    "submitted": "Nộp trực tuyến",
    "received": "Tiếp nhận",
    "accepted": "Tiếp nhận hồ sơ trực tuyến",
    "claimed": "Nhận xử lý",
    "assigned": "Phân công",
    "advanced": "Hoàn thành bước",
    "result_ready": "Có kết quả",
    "supplement_requested": "Yêu cầu bổ sung",
    "supplement_received": "Nhận hồ sơ bổ sung",
    "extended": "Xin lỗi và hẹn lại",
    "refused": "Từ chối",
    "withdrawn": "Rút hồ sơ",
    "closed": "Dừng giải quyết",
    "returned": "Trả kết quả",
    "rated": "Công dân đánh giá",
    "pin_reissued": "Cấp lại mã tra cứu",
    "end_corrected": "Sửa thời điểm kết thúc xử lý",
}


class CorrectEndForm(forms.Form):
    """A manager corrects a wrong end time, with a reason (a new history event)."""

    ended_at = forms.DateTimeField(
        label="Thời điểm kết thúc xử lý đúng",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )
    reason = forms.CharField(
        label="Lý do sửa (được ghi vào lịch sử hồ sơ)",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
