"""Signed anchors: the history's heads, written outside the database.

The keyed chain (``workflows.services.history``) makes a rewritten or
appended event fail to verify, but a superuser can still *remove* the end of
a dossier's history, or whole dossiers, and leave a shorter chain that
verifies. An anchor pins every dossier's head — ``(code, events_count,
last_hash, last_mac)`` — in a file the database cannot reach, signed with
Ed25519, so that shortening or rewriting anything anchored is detected, even
by a third party holding only the public key.

One JSON file per anchor, ``HISTORY_ANCHOR_DIR/anchor-00000042.json``::

    {
      "format": "motcua-history-anchor/1",
      "seq": 42,                      # 1, 2, 3… without gaps
      "at": "2026-11-30T01:00:00+00:00",
      "previous": "<digest of anchor 41>",   # 64 zeros for the first one
      "dossiers": 1234,               # dossiers anchored so far
      "events": 9876,                 # sum of their events_count
      "heads_digest": "<sha256 over every anchored head, sorted by code>",
      "changed": [[code, events_count, last_hash, last_mac], …],
      "disputed": [[code, [problem codes]], …],
      "ledger": {"rows": 5555, "max_id": 5600},
      "key_id": "<history key id in use>",
      "signer": "<base64 Ed25519 public key>",
      "signature": "<base64 Ed25519 signature>"
    }

* **Incremental, with carry-forward.** ``changed`` lists only the dossiers
  whose head moved since the previous anchor (the first anchor lists them
  all); the set of heads at anchor N is the fold of ``changed`` over anchors
  1…N. ``heads_digest`` is ``sha256`` of the lines ``code\\tcount\\thash\\tmac\\n``
  of that whole set, sorted by code, and ``dossiers``/``events`` are its
  totals: a dossier deleted or a history shortened since can never match.
* **Chained and signed.** An anchor's digest is ``sha256`` of its canonical
  JSON (sorted keys, no spaces, UTF-8) without ``signature``; the signature
  covers the same bytes, and ``previous`` names the previous anchor's digest.
* **Nothing laundered.** Before moving a head forward the writer verifies
  the dossier's chains (keyed) and that its anchored head is still there; a
  dossier that fails is listed under ``disputed`` and keeps its previous
  head, so the evidence stays in every later anchor.
* **The ledger** (clock events) has no chain of its own; the anchor records
  how many rows it had and the highest id: later, fewer rows at or below that
  id means rows were deleted.

Nothing here is secret: codes, counts, hashes and macs are in the database
anyway. Keep copies of the directory elsewhere (another host, WORM storage):
an anchor protects against whoever cannot write where it is kept.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db.models import Count, Max

from config.errors import DomainError
from workflows.models import ClockEvent, Dossier
from workflows.services.history import Head, history_errors, history_verify
from workflows.services.history_keys import keyring, public_key_raw_b64, signing_key

FORMAT = "motcua-history-anchor/1"
GENESIS_ANCHOR = "0" * 64
_FIELDS = {
    "format",
    "seq",
    "at",
    "previous",
    "dossiers",
    "events",
    "heads_digest",
    "changed",
    "disputed",
    "ledger",
    "key_id",
    "signer",
    "signature",
}


class AnchorRefused(DomainError):
    status = 409
    default_code = "anchor_refused"


def anchor_dir() -> Path:
    return Path(settings.HISTORY_ANCHOR_DIR)


def canonical_body(anchor: dict[str, Any]) -> bytes:
    body = {k: v for k, v in anchor.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def anchor_digest(anchor: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_body(anchor)).hexdigest()


def heads_digest(heads: dict[str, Head]) -> str:
    h = hashlib.sha256()
    for code in sorted(heads):
        head = heads[code]
        h.update(f"{code}\t{head.count}\t{head.hash}\t{head.mac}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class AnchorProblem:
    code: str
    message: str
    anchor: int | None = None
    severity: str = "error"


@dataclass
class AnchorState:
    """The fold of a valid chain of anchors."""

    heads: dict[str, Head] = field(default_factory=dict)
    #: Each dossier's events_count in the first anchor: the legacy (unkeyed)
    #: events a dossier may have. A dossier born after it may have none.
    first: dict[str, int] = field(default_factory=dict)
    last: dict[str, Any] | None = None
    last_digest: str = GENESIS_ANCHOR
    events: int = 0

    @property
    def seq(self) -> int:
        return self.last["seq"] if self.last else 0

    def legacy_until(self, code: str) -> int | None:
        if self.last is None:
            return None
        return self.first.get(code, 0)


def anchor_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("anchor-*.json")) if directory.is_dir() else []


def _parse(path: Path) -> dict[str, Any]:
    anchor = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(anchor, dict) or set(anchor) != _FIELDS or anchor["format"] != FORMAT:
        raise ValueError("not an anchor")
    for name in ("seq", "dossiers", "events"):
        if type(anchor[name]) is not int:
            raise ValueError(name)
    return anchor


def _signature_ok(anchor: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(anchor["signature"]), canonical_body(anchor))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def anchors_verify(
    *, public_key: Ed25519PublicKey, directory: Path | None = None
) -> tuple[AnchorState, list[AnchorProblem]]:
    """Check every anchor (signature, numbering, links, totals) and fold them.

    The fold stops at the first broken anchor: what follows it cannot be
    trusted to extend the chain. The digest over all heads is recomputed for
    the last anchor; each earlier one is covered by its signature and the
    totals checked as the fold goes."""
    directory = directory or anchor_dir()
    state = AnchorState()
    problems: list[AnchorProblem] = []
    prev_at: dt.datetime | None = None
    for path in anchor_files(directory):
        expected = state.seq + 1
        try:
            anchor = _parse(path)
            at = dt.datetime.fromisoformat(anchor["at"])
            changed = [
                (str(code), Head(int(count), str(h), str(m)))
                for code, count, h, m in anchor["changed"]
            ]
        except (OSError, ValueError, TypeError, KeyError):
            problems.append(
                AnchorProblem("anchor_unreadable", f"Mốc neo {path.name}: không đọc được.")
            )
            break
        seq = anchor["seq"]
        if not _signature_ok(anchor, public_key):
            problems.append(
                AnchorProblem(
                    "anchor_signature",
                    f"Mốc neo số {seq} ({path.name}): chữ ký không hợp lệ — tệp đã bị sửa "
                    "hoặc không do khóa này ký.",
                    seq,
                )
            )
            break
        if seq != expected or path.name != f"anchor-{seq:08d}.json":
            problems.append(
                AnchorProblem(
                    "anchor_gap",
                    f"Mốc neo {path.name}: mang số {seq}, chờ số {expected} — thiếu mốc neo."
                    if seq != expected
                    else f"Mốc neo {path.name}: tên tệp không khớp với số {seq} bên trong.",
                    seq,
                )
            )
            break
        if anchor["previous"] != state.last_digest or (prev_at is not None and at < prev_at):
            problems.append(
                AnchorProblem(
                    "anchor_link",
                    f"Mốc neo số {seq}: không nối tiếp mốc neo số {seq - 1}.",
                    seq,
                )
            )
            break
        new = dict(changed)
        dossiers = len(state.heads) + len(new.keys() - state.heads.keys())
        events = state.events + sum(
            head.count - (state.heads[code].count if code in state.heads else 0)
            for code, head in new.items()
        )
        if len(new) != len(changed) or anchor["dossiers"] != dossiers or anchor["events"] != events:
            problems.append(
                AnchorProblem(
                    "anchor_totals",
                    f"Mốc neo số {seq}: tổng số hồ sơ/sự kiện không khớp với các mốc trước.",
                    seq,
                )
            )
            break
        state.heads.update(new)
        state.events = events
        if seq == 1:
            state.first = {code: head.count for code, head in changed}
        state.last, state.last_digest, prev_at = anchor, anchor_digest(anchor), at
    if (
        state.last is not None
        and not problems
        and heads_digest(state.heads) != state.last["heads_digest"]
    ):
        problems.append(
            AnchorProblem(
                "anchor_heads",
                f"Mốc neo số {state.seq}: mã băm tổng các đầu chuỗi không khớp.",
                state.seq,
            )
        )
    return state, problems


def ledger_totals() -> dict[str, int]:
    totals = ClockEvent.objects.aggregate(rows=Count("id"), max_id=Max("id"))
    return {"rows": totals["rows"], "max_id": totals["max_id"] or 0}


def ledger_check(state: AnchorState) -> list[AnchorProblem]:
    """Fewer clock events at or below the anchored id than were anchored: deleted."""
    if state.last is None:
        return []
    anchored = state.last["ledger"]
    rows = ClockEvent.objects.filter(id__lte=anchored["max_id"]).count()
    if rows >= anchored["rows"]:
        return []
    return [
        AnchorProblem(
            "ledger_rows_missing",
            f"Sổ thời hạn: mốc neo số {state.seq} ghi {anchored['rows']} dòng (mã đến "
            f"{anchored['max_id']}), nay chỉ còn {rows}: đã bị xóa.",
            state.seq,
        )
    ]


@dataclass(frozen=True)
class AnchorWritten:
    seq: int
    path: Path
    changed: int
    disputed: list[list[Any]]
    dossiers: int
    events: int


def anchor_write(*, at: dt.datetime, directory: Path | None = None) -> AnchorWritten:
    """Write the next anchor: the heads that moved since the last one."""
    directory = directory or anchor_dir()
    key = signing_key()
    state, problems = anchors_verify(public_key=key.public_key(), directory=directory)
    if problems:
        raise AnchorRefused(
            "Chuỗi mốc neo bị hỏng, không ghi thêm: "
            + " ".join(p.message for p in problems)
            + " Chạy manage.py verify_history.",
            code="anchor_chain_broken",
        )
    ring = keyring()
    heads = dict(state.heads)
    changed: dict[str, Head] = {}
    disputed: list[list[Any]] = []
    rows = list(
        Dossier.objects.order_by()
        .values_list("pk", "code", "events_count", "last_hash", "last_mac")
        .iterator()
    )
    seen: set[str] = set()
    for pk, code, count, last_hash, last_mac in rows:
        seen.add(code)
        head = Head(count, last_hash, last_mac)
        old = heads.get(code)
        if head == old:
            continue
        dossier = Dossier(
            pk=pk, code=code, events_count=count, last_hash=last_hash, last_mac=last_mac
        )
        found = history_errors(
            history_verify(
                dossier,
                ring=ring,
                legacy_until=state.legacy_until(code),
                anchored=old,
                upto_head=True,
            )
        )
        if found:
            disputed.append([code, sorted({p.code for p in found})])
        else:
            heads[code] = changed[code] = head
    for code in sorted(state.heads.keys() - seen):
        disputed.append([code, ["dossier_missing"]])
    ledger = ledger_totals()
    if state.last is not None and ledger_check(state):
        disputed.append(["(ledger)", ["ledger_rows_missing"]])
        ledger = state.last["ledger"]
    seq = state.seq + 1
    anchor: dict[str, Any] = {
        "format": FORMAT,
        "seq": seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "previous": state.last_digest,
        "dossiers": len(heads),
        "events": sum(h.count for h in heads.values()),
        "heads_digest": heads_digest(heads),
        "changed": [[code, *changed[code]] for code in sorted(changed)],
        "disputed": sorted(disputed),
        "ledger": ledger,
        "key_id": ring.current_id,
        "signer": public_key_raw_b64(key.public_key()),
    }
    anchor["signature"] = base64.b64encode(key.sign(canonical_body(anchor))).decode()
    path = directory / f"anchor-{seq:08d}.json"
    _write_new(path, json.dumps(anchor, ensure_ascii=False, indent=1) + "\n")
    return AnchorWritten(
        seq=seq,
        path=path,
        changed=len(changed),
        disputed=anchor["disputed"],
        dossiers=anchor["dossiers"],
        events=anchor["events"],
    )


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` whole or not at all; refuse if it exists (a concurrent writer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise AnchorRefused(
                f"Mốc neo {path.name} vừa được ghi bởi tiến trình khác; thử lại.",
                code="anchor_race",
            ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def last_anchor_at(directory: Path | None = None) -> dt.datetime | None:
    """When the newest anchor was written (unverified: for scheduling only)."""
    files = anchor_files(directory or anchor_dir())
    if not files:
        return None
    try:
        return dt.datetime.fromisoformat(json.loads(files[-1].read_text())["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def anchor_if_due(*, at: dt.datetime, every: float | None = None) -> AnchorWritten | None:
    """The sweep's hook: an anchor when the last one is ``every`` seconds old."""
    every = settings.HISTORY_ANCHOR_EVERY if every is None else every
    if not every:
        return None
    last = last_anchor_at()
    if last is not None and (at - last).total_seconds() < every:
        return None
    return anchor_write(at=at)


# --- the audit: every chain against every anchor ----------------------------------------------


@dataclass
class Audit:
    keyed: bool
    directory: Path
    checked: int = 0
    broken: set[str] = field(default_factory=set)
    #: (dossier code or "", problem code, message, severity)
    lines: list[tuple[str, str, str, str]] = field(default_factory=list)
    anchors: int = 0
    last_anchor_at: str = ""
    after_last_anchor: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for line in self.lines if line[3] == "error")

    def add(self, where: str, code: str, message: str, severity: str = "error") -> None:
        self.lines.append((where, code, message, severity))
        if severity == "error" and where:
            self.broken.add(where)


def history_audit(
    *,
    keyed: bool = True,
    public_key: Ed25519PublicKey | None = None,
    directory: Path | None = None,
    code: str | None = None,
) -> Audit:
    """Verify the chains of every dossier (or one) and every anchor.

    ``keyed=True``: with the history key (HMAC) and, unless given, the public
    half of the local signing key. ``keyed=False``: what a third party can
    do with the public key alone — the anchors and the public hash chain.
    """
    directory = directory or anchor_dir()
    audit = Audit(keyed=keyed, directory=directory)
    ring = keyring() if keyed else None
    files = anchor_files(directory)
    state, problems = AnchorState(), []
    if files:
        if public_key is None:
            public_key = signing_key().public_key()
        state, problems = anchors_verify(public_key=public_key, directory=directory)
        audit.anchors = state.seq
        audit.last_anchor_at = state.last["at"] if state.last else ""
    elif keyed:
        audit.add(
            "",
            "no_anchors",
            f"Chưa có mốc neo nào trong {directory}: chưa phát hiện được việc xóa sự kiện "
            "hay hồ sơ. Chạy manage.py history_anchor.",
            "notice",
        )
    else:
        audit.add("", "no_anchors", f"Không có mốc neo nào trong {directory} để đối chiếu.")
    for p in problems:
        audit.add("", p.code, p.message, p.severity)

    qs = Dossier.objects.order_by("pk")
    if code:
        qs = qs.filter(code=code)
    seen: set[str] = set()
    for dossier in qs.iterator(chunk_size=500):
        audit.checked += 1
        seen.add(dossier.code)
        anchored = state.heads.get(dossier.code)
        found = history_verify(
            dossier,
            keyed=keyed,
            ring=ring,
            legacy_until=state.legacy_until(dossier.code),
            anchored=anchored,
        )
        for p in found:
            audit.add(dossier.code, p.code, p.message, p.severity)
        head = Head(dossier.events_count, dossier.last_hash, dossier.last_mac)
        if anchored != head and not history_errors(found):
            audit.after_last_anchor += 1
    for missing in sorted({code} & state.heads.keys() if code else state.heads.keys()):
        if missing not in seen:
            head = state.heads[missing]
            audit.add(
                missing,
                "dossier_missing",
                f"Có trong mốc neo ({head.count} sự kiện) nhưng không còn trong cơ sở dữ liệu: "
                "hồ sơ đã bị xóa.",
            )
            audit.checked += 1
    if not code:
        for p in ledger_check(state):
            audit.add("", p.code, p.message, p.severity)
    if not keyed and state.last is not None and audit.after_last_anchor:
        audit.add(
            "",
            "after_last_anchor",
            f"{audit.after_last_anchor} hồ sơ có sự kiện sau mốc neo cuối: phần đó chỉ kiểm tra "
            "được chuỗi băm công khai (cần khóa lịch sử để phát hiện việc tính lại chuỗi).",
            "notice",
        )
    return audit
