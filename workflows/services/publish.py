"""What each lifecycle event tells whom.

Called by the dossier services inside their transaction: the notifications
are outbox rows written with the action (``notifications.services.notify``),
delivered after commit and retried until they arrive. The live refresh of the
public tracking page and of the centre's wall board is a broadcast after
commit; a page that missed one re-reads the snapshot when it reconnects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from config.clock import LOCAL_TZ
from notifications.services import Message, Recipient, broadcast_after_commit, notify_many
from workflows.models import Dossier, DossierStatus
from workflows.selectors.dossiers import local, public_status


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M ngày %d/%m/%Y") if moment else ""


def citizen(dossier: Dossier) -> Recipient:
    return Recipient(
        kind="citizen",
        phone=dossier.applicant_phone,
        email=dossier.applicant_email,
        name=dossier.applicant_name,
    )


def unit(unit_id: int) -> Recipient:
    return Recipient(kind="unit", unit_id=unit_id)


def officer(user_id: int) -> Recipient:
    return Recipient(kind="officer", user_id=user_id)


def track_url(dossier: Dossier) -> str:
    """The citizen's link (QR code, SMS, e-mail): the code and the signed
    tracking token, never the PIN; it is never refused by the PIN limiter."""
    from urllib.parse import urlencode

    from workflows.services.tracking import tracking_token

    query = urlencode({"code": dossier.code, "t": tracking_token(dossier)})
    return f"{settings.MOTCUA['PUBLIC_URL'].rstrip('/')}/track/?{query}"


def short_track_url(dossier: Dossier) -> str:
    """The same link, short enough for an SMS: ``/t/<code>/<token>``."""
    from workflows.services.tracking import tracking_token

    base = settings.MOTCUA["PUBLIC_URL"].rstrip("/")
    return f"{base}/t/{dossier.code}/{tracking_token(dossier)}"


def public_fields(dossier: Dossier, *, at: dt.datetime) -> dict[str, Any]:
    """What the public tracking page shows, from the dossier in memory (no
    queries): the page appends ``timeline_entry`` to its timeline."""
    return {
        **public_status(dossier),
        "can_rate": dossier.status == DossierStatus.RETURNED,
        "timeline_entry": {
            "status": dossier.status,
            "status_label": str(dossier.get_status_display()),
            "at": local(at),
        },
    }


def broadcast_live(dossier: Dossier, *, at: dt.datetime, kind: str) -> None:
    """Live refresh of the tracking page and the centre's board (best effort,
    after commit, in the same hop as the action's notifications)."""
    payload = {"type": "dossier.updated", "event": kind, "dossier": public_fields(dossier, at=at)}
    broadcast_after_commit(f"track.{dossier.code}", payload)
    broadcast_after_commit(f"board.{dossier.centre.code}", {"type": "board.refresh"})


def publish(dossier: Dossier, kind: str, *, at: dt.datetime, **extra: Any) -> None:
    """Write the notifications of one lifecycle event (inside the transaction)."""
    messages: list[Message] = []

    def add(**kwargs: Any) -> None:
        kwargs.pop("at", None)
        if kwargs.get("recipients"):
            # The dossier's centre: whose managers see it if it cannot be delivered.
            messages.append(Message(centre_id=dossier.centre_id, **kwargs))

    code = dossier.code
    name = dossier.procedure.name
    data = {"status": dossier.status, "event": kind}
    handover = dossier.current_handover
    if kind in ("received", "accepted", "supplement_received", "advanced") and (
        handover is not None and handover.completed_at is None and handover.step_role != "return"
    ):
        if kind != "supplement_received" or extra.get("stage") == "reception":
            add(
                recipients=[unit(handover.to_unit_id)],
                kind="queue.new",
                title=f"Hồ sơ mới chờ xử lý: {code}",
                body=f"{name}. Bước: {handover.step_name}; hạn của bước: {_when(handover.due_at)}.",
                dossier=code,
                data=data,
                at=at,
            )
        else:
            holder = handover.to_officer_id
            add(
                recipients=[officer(holder) if holder else unit(handover.to_unit_id)],
                kind="supplement.received",
                title=f"Hồ sơ {code} đã được bổ sung",
                body=f"Thời gian giải quyết tính lại từ đầu; hạn mới: {_when(dossier.clock.due_at)}.",
                dossier=code,
                data=data,
                at=at,
            )
    if kind == "submitted":
        add(
            recipients=[unit(dossier.reception_unit_id)],
            kind="submitted",
            title=f"Hồ sơ trực tuyến mới: {code}",
            body=f"{name}. Cần tiếp nhận hoặc yêu cầu bổ sung trong 8 giờ làm việc.",
            dossier=code,
            data=data,
            at=at,
        )
    elif kind == "assigned":
        add(
            recipients=[officer(extra["officer_id"])],
            kind="task.assigned",
            title=f"Bạn được phân công xử lý hồ sơ {code}",
            body=f"{name}. Bước: {handover.step_name}; hạn của bước: {_when(handover.due_at)}.",
            dossier=code,
            data=data,
            at=at,
        )
    elif kind == "supplement_requested":
        items = "; ".join(extra.get("items", []))
        deadline = extra.get("deadline")
        add(
            recipients=[citizen(dossier)],
            kind="supplement.requested",
            title=f"Hồ sơ {code} cần bổ sung",
            body=f"Đề nghị Ông/Bà bổ sung: {items}. Lý do: {extra.get('reason', '')}. "
            f"Hạn bổ sung: {_when(extra.get('deadline'))}.\nTra cứu: {track_url(dossier)}",
            sms_text=f"Hồ sơ cần bổ sung: {items}. Hạn: {_when(extra.get('deadline'))}. "
            f"{short_track_url(dossier)}",
            dossier=code,
            # the request matters until its deadline (notifications.lifetimes)
            data={**data, "deadline": deadline.isoformat()} if deadline else data,
            channels=("web", "sms", "email"),
            at=at,
        )
    elif kind == "extended":
        add(
            recipients=[citizen(dossier)],
            kind="apology",
            title=f"Xin lỗi: hẹn lại ngày trả kết quả hồ sơ {code}",
            body=f"Lý do: {extra.get('reason', '')}. Hẹn trả kết quả lúc "
            f"{_when(extra.get('new_due_at'))}.\nTra cứu: {track_url(dossier)}",
            sms_text=f"Xin lỗi, hồ sơ hẹn trả kết quả lúc {_when(extra.get('new_due_at'))}. "
            f"{short_track_url(dossier)}",
            dossier=code,
            data=data,
            channels=("web", "sms", "email"),
            at=at,
        )
    elif kind == "result_ready":
        add(
            recipients=[unit(handover.to_unit_id)] if handover is not None else [],
            kind="result.to_return",
            title=f"Hồ sơ {code} đã có kết quả, chờ trả",
            body=f"{name}. Trả cho: {dossier.applicant_name}.",
            dossier=code,
            data=data,
            at=at,
        )
        where = "tại " + dossier.centre.name if dossier.channel != "postal" else "qua bưu điện"
        add(
            recipients=[citizen(dossier)],
            kind="result.ready",
            title=f"Hồ sơ {code} đã có kết quả",
            body=f"Mời Ông/Bà nhận kết quả {where}.\nTra cứu: {track_url(dossier)}",
            sms_text=f"Hồ sơ đã có kết quả. Mời nhận {where}. {short_track_url(dossier)}",
            dossier=code,
            data=data,
            channels=("web", "sms", "email"),
            at=at,
        )
    elif kind == "returned":
        add(
            recipients=[citizen(dossier)],
            kind="returned",
            title=f"Đã trả kết quả hồ sơ {code}",
            body=f"Cảm ơn Ông/Bà. Mời đánh giá mức độ hài lòng tại {track_url(dossier)}.",
            dossier=code,
            data=data,
            channels=("web", "email"),
            at=at,
        )
    elif kind == "pin_reissued":
        add(
            recipients=[citizen(dossier)],
            kind="pin.reissued",
            title=f"Đã cấp lại mã tra cứu hồ sơ {code}",
            body="Mã tra cứu cũ không còn dùng được. Nếu Ông/Bà không đề nghị cấp lại, vui lòng "
            f"liên hệ {dossier.centre.name}.",
            sms_text="Mã tra cứu hồ sơ vừa được cấp lại tại bộ phận một cửa; mã cũ hết hiệu lực. "
            f"Nếu không phải Ông/Bà đề nghị, hãy liên hệ trung tâm. Mã hồ sơ: {code}.",
            dossier=code,
            data=data,
            channels=("web", "sms", "email"),
            at=at,
        )
    elif kind in ("refused", "withdrawn", "closed"):
        titles = {
            "refused": f"Hồ sơ {code} bị từ chối giải quyết",
            "withdrawn": f"Hồ sơ {code} đã được rút",
            "closed": f"Hồ sơ {code} dừng giải quyết",
        }
        reason = extra.get("reason", "")
        add(
            recipients=[citizen(dossier)],
            kind=kind,
            title=titles[kind],
            body=f"Lý do: {reason}\nTra cứu: {track_url(dossier)}",
            sms_text=f"{titles[kind]}. {short_track_url(dossier)}",
            dossier=code,
            data=data,
            channels=("web", "sms", "email") if kind != "withdrawn" else ("web",),
            at=at,
        )
        if kind == "withdrawn" and extra.get("unit_id"):
            add(
                recipients=[unit(extra["unit_id"])],
                kind="withdrawn",
                title=f"Hồ sơ {code} đã được công dân rút",
                body=f"Lý do: {reason}",
                dossier=code,
                data=data,
                at=at,
            )
    if messages:
        # Recipients come from foreign keys of locked rows: no existence check.
        notify_many(messages, at=at, verify=False)
    broadcast_live(dossier, at=at, kind=kind)
