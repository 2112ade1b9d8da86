"""The managers' figures against a hand-computed scenario (issue 10).

Ten social-insurance dossiers (1.001667: 7 working days; office hours
07:30–11:30, 13:30–17:30) at Hạc Thành, driven through the real API in time
order; the period is 1–11 December 2026 and the figures are read on Friday
18 December 10:00.

=====  =========================================  ===========================
 name   what happens                                expected
=====  =========================================  ===========================
 A      received Mon 30/11 08:00, result 1/12       carried over; resolved
        10:00, returned 2/12, rated dissatisfied    early (766 early)
 B      received 1/12 08:00 (due 10/12 08:00),      resolved late; the
        handler holds it until 10/12 09:00,          handler's step overran
        result 10/12 10:00
 C      postal, received 2/12 08:00; supplement     resolved early both ways:
        after appraisal 3/12 08:00 → 8/12 08:00     766 subtracts the 3 days
        (3 working days); result 11/12 10:00        of waiting (due 16/12)
 D      incomplete at the desk 2/12 08:00,          two supplement requests →
        completed 09:00; a second request after      766 late; Decree 118
        appraisal 10:00 → 11:00; result 4/12 10:00   early
 E      received 3/12 08:00, withdrawn 4/12         withdrawn (766 early)
 F      received 3/12 09:00, refused 10:00          refused (766 early)
 G      received 1/12 09:00 (due 10/12 09:00),      in progress, overdue at
        handler holds it                             the period's end
 H      received 11/12 08:00                        in progress within
 I      received 14/12 08:00                        outside the period
 J      received 2/12 10:00 (due 11/12 10:00),      resolved late (the new
        new appointment 15/12 asked 9/12, result     appointment does not make
        11/12 15:00                                  it on time)
=====  =========================================  ===========================
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.integration.conftest import BHXH, ICT, receipt_body

pytestmark = pytest.mark.django_db

MANAGER = BHXH["manager"]
AT = dt.datetime(2026, 12, 18, 10, 0, tzinfo=ICT)
PERIOD = {"period": "range", "from": "2026-12-01", "to": "2026-12-11"}


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ICT)


def act(client, code, action, body=None):
    r = client.post(f"/api/v1/dossiers/{code}/{action}/", body or {}, format="json")
    assert r.status_code == 200, (action, r.json())
    return r.json()


@pytest.fixture
def scenario(demo, clock, api):
    desk, handler, leader = api(BHXH["desk"]), api(BHXH["handler"]), api(BHXH["leader"])
    codes, pins = {}, {}

    def receive(name, when, **body):
        clock.set(when)
        r = desk.post("/api/v1/dossiers/", receipt_body(**body), format="json")
        assert r.status_code == 201, r.json()
        codes[name], pins[name] = r.json()["code"], r.json()["tracking_pin"]

    def finish(name, when, handler_done=None):
        clock.set(handler_done or when)
        act(handler, codes[name], "advance")
        clock.set(when)
        act(leader, codes[name], "claim")
        act(leader, codes[name], "advance")

    receive("A", at(30, 8, month=11))
    receive("B", at(1, 8))
    act(handler, codes["B"], "claim")
    receive("G", at(1, 9))
    act(handler, codes["G"], "claim")
    clock.set(at(1, 9, 30))
    act(handler, codes["A"], "claim")
    finish("A", at(1, 10), handler_done=at(1, 9, 30))
    receive("C", at(2, 8), channel="postal")
    act(desk, codes["C"], "accept")  # a postal dossier is accepted at the desk
    receive("D", at(2, 8, 5), complete=False, missing_items=["Giấy ra viện"])
    clock.set(at(2, 9))
    act(desk, codes["D"], "supplement", {"note": "Đã nộp"})
    clock.set(at(2, 9, 30))
    act(handler, codes["C"], "claim")
    act(handler, codes["D"], "claim")
    receive("J", at(2, 10))
    act(handler, codes["D"], "request-supplement", {"reason": "Thiếu", "items": ["Sổ BHXH"]})
    clock.set(at(2, 10, 30))
    act(handler, codes["J"], "claim")
    clock.set(at(2, 11))
    act(desk, codes["D"], "supplement", {"note": "Đã nộp"})
    clock.set(at(2, 14))
    act(desk, codes["A"], "return", {"method": "counter"})
    r = api().post(
        f"/api/v1/track/{codes['A']}/rating/?pin={pins['A']}",
        {"score": "dissatisfied", "comment": "Chờ lâu"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    clock.set(at(3, 8))
    act(handler, codes["C"], "request-supplement", {"reason": "Thiếu", "items": ["Giấy ra viện"]})
    receive("E", at(3, 8, 5))
    receive("F", at(3, 9))
    clock.set(at(3, 10))
    act(handler, codes["F"], "claim")
    act(handler, codes["F"], "refuse", {"reason": "Không đủ điều kiện"})
    clock.set(at(4, 8))
    act(desk, codes["E"], "withdraw", {"reason": "Không còn nhu cầu"})
    finish("D", at(4, 10))
    clock.set(at(8, 8))
    act(desk, codes["C"], "supplement", {"note": "Đã nộp"})
    clock.set(at(9, 8))
    act(
        leader,
        codes["J"],
        "extend",
        {"reason": "Chờ xác minh", "new_due_at": "2026-12-15T17:30:00+07:00"},
    )
    finish("B", at(10, 10), handler_done=at(10, 9))
    receive("H", at(11, 8))
    finish("C", at(11, 10))
    finish("J", at(11, 15), handler_done=at(11, 14))
    receive("I", at(14, 8))
    clock.set(AT)
    return codes


def _manager():
    from django.contrib.auth.models import User

    c = Client()
    c.force_login(User.objects.get(username=MANAGER))
    return c


def _figures(user=MANAGER, **query):
    from django.contrib.auth.models import User

    from reports.periods import parse_period
    from reports.selectors import Scope, dashboard

    scope = Scope(User.objects.get(username=user), centre_code=query.get("centre", ""))
    period = parse_period("range", at=AT, start=PERIOD["from"], end=PERIOD["to"])
    return dashboard(scope, period, at=AT)


def _listed(client, link) -> set[str]:
    """Every code the inbox lists for a figure's link (following the pages)."""
    codes, query = set(), dict(link)
    while True:
        r = client.get("/inbox/?" + urlencode(query))
        assert r.status_code == 200, r.content[:500]
        page = [row["code"] for row in r.context["rows"]]
        codes |= set(page)
        nxt = r.context["next_query"]
        if not nxt:
            return codes
        query = dict(pair.split("=", 1) for pair in nxt.split("&"))


def test_results_match_the_hand_computed_figures(scenario):
    d = _figures()
    r = {k: v["value"] for k, v in d["results"].items()}
    assert r == {
        "carried_over": 1,  # A
        "received": 8,  # B C D E F G H J
        "received_in_person": 7,
        "received_online": 0,
        "received_postal": 1,  # C
        "resolved": 5,  # A B C D J
        "resolved_early": 3,  # A C D (Decree 118 verdict)
        "resolved_on_time": 0,
        "resolved_late": 2,  # B J
        "refused": 1,  # F
        "withdrawn": 1,  # E
        "closed": 0,
        "in_progress": 2,  # G H
        "in_progress_overdue": 1,  # G
        "in_progress_within": 1,  # H
        "corrected": 0,
    }
    # what was open plus what came in = what ended plus what is still open
    ended = r["resolved"] + r["refused"] + r["withdrawn"] + r["closed"]
    assert r["carried_over"] + r["received"] == ended + r["in_progress"]


def test_every_figure_lists_exactly_its_dossiers(scenario):
    codes = {v: k for k, v in scenario.items()}
    d = _figures()
    client = _manager()
    expected = {
        "carried_over": "A",
        "received": "BCDEFGHJ",
        "received_postal": "C",
        "resolved": "ABCDJ",
        "resolved_early": "ACD",
        "resolved_late": "BJ",
        "refused": "F",
        "withdrawn": "E",
        "in_progress": "GH",
        "in_progress_overdue": "G",
        "in_progress_within": "H",
    }
    for key, names in expected.items():
        figure = d["results"][key]
        listed = {codes[c] for c in _listed(client, figure["link"])}
        assert listed == set(names), key
        assert figure["value"] == len(names)
    # the inbox says how many the list holds
    r = client.get("/inbox/?" + urlencode(d["results"]["received"]["link"]))
    assert r.context["drill_count"] == 8
    assert 'id="drill-count">8<' in r.content.decode()


def test_time_left_people_and_queues_now(scenario):
    codes = {v: k for k, v in scenario.items()}
    d = _figures()
    t = {k: v["value"] for k, v in d["time_left"].items()}
    # G overdue; H due Tue 22/12 and I Wed 23/12: more than a working day away
    assert t == {"overdue": 1, "due_today": 0, "within_day": 0, "later": 2, "paused": 0}
    client = _manager()
    assert {codes[c] for c in _listed(client, d["time_left"]["later"]["link"])} == {"H", "I"}
    holders = {o["username"]: o for o in d["holders"]}
    handler = holders[BHXH["handler"]]
    assert (handler["held"]["value"], handler["at_risk"]["value"], handler["overdue"]["value"]) == (
        1,
        0,
        1,
    )
    assert {codes[c] for c in _listed(client, handler["held"]["link"])} == {"G"}
    assert holders[BHXH["leader"]]["held"]["value"] == 0
    queues = {q["unit"]: q for q in d["queues"]}
    queue = queues["Bộ phận nghiệp vụ BHXH"]
    assert queue["waiting"]["value"] == 2  # H and I
    assert queue["oldest"] == "2026-12-11T08:00:00+07:00"
    assert {codes[c] for c in _listed(client, queue["waiting"]["link"])} == {"H", "I"}


def test_lateness_is_attributed_to_the_steps_that_overran(scenario):
    from workflows.models import Dossier

    codes = {v: k for k, v in scenario.items()}
    x = _figures()["responsibility"]
    assert x["total"]["value"] == 3  # B and J resolved late, G overdue at the end
    rows = {codes[r["code"]]: r for r in x["dossiers"]}
    assert set(rows) == {"B", "G", "J"}
    appraisal = Dossier.objects.get(code=scenario["B"]).handovers.get(seq=1).step_name
    from procedures.models import Officer

    handler_name = Officer.objects.get(user__username=BHXH["handler"]).full_name
    for name in ("B", "G", "J"):
        # the handler's appraisal overran; the leader's step and the return
        # desk's (after processing ended) did not make the dossier late
        steps = rows[name]["steps"]
        assert [s["step"] for s in steps] == [appraisal], name
        assert steps[0]["unit"] == "Bộ phận nghiệp vụ BHXH"
        assert steps[0]["officer"] == handler_name
    assert rows["G"]["steps"][0]["open"] is True
    assert rows["B"]["steps"][0]["open"] is False
    assert [(o["username"], o["dossiers"], o["steps"]) for o in x["by_officer"]] == [
        (BHXH["handler"], 3, 3)
    ]
    client = _manager()
    listed = {codes[c] for c in _listed(client, x["by_officer"][0]["link"])}
    assert listed == {"B", "G", "J"}
    assert {codes[c] for c in _listed(client, x["total"]["link"])} == {"B", "G", "J"}


def test_processing_time_per_procedure_in_working_days(scenario):
    (p,) = _figures()["procedures"]
    assert p["code"] == "1.001667" and p["count"] == 5 and p["late"] == 2
    # 766 working days: A 1.25, B 7.25, C 4.25 (7.25 minus 3 waiting), D 2, J 7.375
    assert p["average_days"] == pytest.approx(22.125 / 5, abs=0.006)
    assert p["p90_days"] == pytest.approx(7.375, abs=0.006)


def test_satisfaction_counts_ratings_of_the_period(scenario):
    s = _figures()["satisfaction"]
    assert {k: v["value"] for k, v in s.items()} == {
        "very_satisfied": 0,
        "satisfied": 0,
        "dissatisfied": 1,
    }


def test_766_indicators(scenario):
    from workflows.models import Dossier

    verdicts = {name: Dossier.objects.get(code=code).verdict_766 for name, code in scenario.items()}
    assert verdicts == {
        "A": "early",
        "B": "late",
        "C": "early",  # the 3 days of waiting subtracted: due Wed 16/12
        "D": "late",  # two supplement requests
        "E": "early",
        "F": "early",
        "G": "",
        "H": "",
        "I": "",
        "J": "late",  # the new appointment does not move NgayHenTra
    }
    r = _manager().get(
        "/api/v1/indicators/766/?" + urlencode({"from": "2026-12-01", "to": "2026-12-11"})
    )
    assert r.status_code == 200, r.json()
    data = {i["key"]: i for i in r.json()["indicators"]}
    on_time = data["on_time"]
    inputs = {k: v["value"] for k, v in on_time["inputs"].items()}
    assert inputs["da_ket_thuc"] == 7  # A B C D E F J
    assert (inputs["truoc_han"], inputs["dung_han"], inputs["tre_han"]) == (4, 0, 3)
    assert inputs["tre_han_do_bo_sung_lan_2"] == 1  # D
    assert inputs["chua_ket_thuc_qua_han"] == 1  # G counts at the period's end
    assert inputs["chua_ket_thuc_trong_han"] == 1  # H does not (configuration)
    assert on_time["rate"] == 50.0 and on_time["score"] == 10.0 and on_time["points"] == 20
    sat = data["satisfaction"]
    # (7 − 1 dissatisfied − 0 complaints − 3 late) ÷ 7
    assert sat["rate"] == pytest.approx(100 * 3 / 7, abs=0.01)
    assert sat["score"] == pytest.approx(18 * 3 / 7, abs=0.01)
    online = data["online"]
    assert {k: v["value"] for k, v in online["inputs"].items()} == {
        "KenhThucHien_1": 7,
        "KenhThucHien_2": 0,
        "KenhThucHien_3": 1,
        "tong_tiep_nhan": 8,
    }
    assert online["rate"] == 0.0
    assert data["processing_time"]["rate"] == 100.0  # 4.43 days on average ≤ 7
    assert "threshold" in on_time["configured"] and "formula" not in on_time["configured"]


def test_766_counts_unfinished_within_deadline_when_configured(scenario, settings):
    settings.INDICATORS_766 = {"unfinished_within_deadline_counted": True}
    r = _manager().get("/api/v1/indicators/766/?from=2026-12-01&to=2026-12-11").json()
    on_time = next(i for i in r["indicators"] if i["key"] == "on_time")
    assert on_time["inputs"]["mau_so"]["value"] == 9 and on_time["inputs"]["tu_so"]["value"] == 5


def test_pages_render_and_scope_is_a_rule(scenario):
    client = _manager()
    page = client.get("/dashboard/?" + urlencode(PERIOD))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="f-received" href="/inbox/?' in html and ">8</a>" in html
    assert client.get("/dashboard/766/?" + urlencode(PERIOD)).status_code == 200
    # another centre's manager sees none of Hạc Thành's dossiers
    from django.contrib.auth.models import User

    other = Client()
    other.force_login(User.objects.get(username="samson.quanly"))
    d = _figures(user="samson.quanly")
    assert d["results"]["received"]["value"] == 0
    assert other.get("/dashboard/?centre=14797").status_code == 404
    api = other.get("/api/v1/indicators/766/?scope=14797")
    assert api.status_code == 404 and api.json()["error"] == "unknown_centre"
    # a handler has no scope dashboard
    handler = Client()
    handler.force_login(User.objects.get(username=BHXH["handler"]))
    assert handler.get("/dashboard/").status_code == 403
    assert handler.get("/api/v1/indicators/766/").json()["error"] == "dashboard_forbidden"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"period": "decade"}, "period"),
        ({"period": "range", "from": "2026-12-11", "to": "2026-12-01"}, "to"),
        ({"period": "range", "from": "2026-13-01", "to": "2026-12-01"}, "from"),
        ({"period": "range", "from": "2020-01-01", "to": "2026-12-01"}, "to"),
        ({"period": "quarter", "quarter": "5"}, "quarter"),
    ],
)
def test_bad_periods_are_refused_in_vietnamese(demo, clock, query, field):
    client = _manager()
    r = client.get("/api/v1/indicators/766/?" + urlencode(query))
    assert r.status_code == 400
    body = r.json()
    assert body["error"] in ("invalid_period", "invalid_date")
    assert field in body["fields"]
    page = client.get("/dashboard/?" + urlencode(query))
    assert page.status_code == 400 and "Đang hiển thị tháng này" in page.content.decode()


def test_officer_accountability_and_the_access_log(scenario):
    from django.contrib.auth.models import User

    from reports.models import FigureView

    manager = _manager()
    query = urlencode(PERIOD)
    page = manager.get(f"/dashboard/officers/?{query}")
    assert page.status_code == 200
    rows = {r["username"]: r for r in page.context["rows"]}
    handler = rows[BHXH["handler"]]
    # the handler's appraisal steps completed in the period: A C D F (early,
    # within 36 h), B J (late); G still held past its due time
    assert (handler["steps"], handler["late"], handler["held"], handler["open_late"]) == (
        6,
        2,
        1,
        1,
    )
    assert handler["late_steps_caused"] == 3
    assert handler["average_budget_hours"] == 36.0
    leader = rows[BHXH["leader"]]
    assert leader["steps"] == 5 and leader["late"] == 0  # A B C D J, each approved in time
    # every officer listed is logged as seen by the manager, never the manager
    seen = set(
        FigureView.objects.filter(viewer__username=MANAGER).values_list(
            "subject__username", flat=True
        )
    )
    assert BHXH["handler"] in seen and MANAGER not in seen
    detail = manager.get(f"/dashboard/officers/{BHXH['handler']}/?{query}")
    assert detail.status_code == 200
    assert len(detail.context["steps"]) == 7  # six completed in the period and G
    # the handler sees who looked, and only their own figures
    handler_client = Client()
    handler_client.force_login(User.objects.get(username=BHXH["handler"]))
    own = handler_client.get(f"/dashboard/officers/?{query}")
    assert [r["username"] for r in own.context["rows"]] == [BHXH["handler"]]
    viewers = {v["viewer"] for v in own.context["views"]}
    assert User.objects.get(username=MANAGER).officer.full_name in viewers
    assert FigureView.objects.filter(viewer__username=BHXH["handler"]).count() == 0
    # another officer's figures are a 404 for the handler, as an unknown name is
    assert handler_client.get(f"/dashboard/officers/{BHXH['leader']}/").status_code == 404
    assert handler_client.get("/dashboard/officers/nobody/").status_code == 404
    # another centre's manager cannot see Hạc Thành's officers
    other = Client()
    other.force_login(User.objects.get(username="samson.quanly"))
    assert other.get(f"/dashboard/officers/{BHXH['handler']}/").status_code == 404
    log = FigureView.objects.first()
    with pytest.raises(RuntimeError):
        log.delete()


def test_periodic_report_page_and_xlsx_agree_with_the_dashboard(scenario):
    import io

    from openpyxl import load_workbook

    client = _manager()
    query = urlencode({**PERIOD, "by": "procedure"})
    page = client.get(f"/reports/?{query}")
    assert page.status_code == 200
    report = page.context["r"]
    (row,) = report["rows"]
    expected = {
        "total": 9,  # 1 carried over + 8 received
        "carried_over": 1,
        "received_online": 0,
        "received_offline": 8,
        "resolved": 5,
        "resolved_early": 3,
        "resolved_on_time": 0,
        "resolved_late": 2,
        "in_progress": 2,
        "in_progress_within": 1,
        "in_progress_overdue": 1,
        "stopped": 2,  # E withdrawn, F refused
    }
    assert {k: row[k] for k in expected} == expected
    assert report["total"] == expected
    figures = _figures()["results"]
    assert row["resolved_late"] == figures["resolved_late"]["value"]
    assert row["in_progress_overdue"] == figures["in_progress_overdue"]["value"]

    xlsx = client.get(f"/reports/report.xlsx?{query}")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    merged = {str(r) for r in ws.merged_cells.ranges}
    # the two-level header: STT and the row heading span both rows, each group its columns
    assert {"A5:A6", "B5:B6", "C5:F5", "G5:J5", "K5:M5", "N5:N6"} <= merged
    assert ws["C5"].value == "Số hồ sơ nhận giải quyết" and ws["C6"].value == "Tổng số"
    assert ws["G5"].value == "Số hồ sơ đã giải quyết" and ws["J6"].value == "Quá hạn"
    assert ws["B8"].value == "Giải quyết hưởng chế độ ốm đau"
    total_row = [c.value for c in ws[9]]
    assert total_row[1] == "Tổng cộng"
    assert total_row[2:] == [expected[k] for k in report["columns"]]
    # by agency and by sector give the same totals
    for by in ("agency", "sector"):
        other = client.get("/reports/?" + urlencode({**PERIOD, "by": by})).context["r"]
        assert other["total"] == expected


def test_register_form_07_page_xlsx_and_pdf(scenario):
    import io

    from openpyxl import load_workbook

    from workflows.printing import pdf_document

    codes = {v: k for k, v in scenario.items()}
    client = _manager()
    query = urlencode({**PERIOD, "centre": "14797"})
    page = client.get(f"/reports/register/?{query}")
    assert page.status_code == 200
    reg = page.context["reg"]
    assert [codes[r["code"]] for r in reg["rows"]] == list("BGCDJEFH")  # order of receipt
    rows = {codes[r["code"]]: r for r in reg["rows"]}
    assert rows["J"]["appointment"] == "2026-12-11T10:00:00+07:00"  # the slip's appointment
    assert "Hẹn lại: 17:30 15/12/2026" in rows["J"]["notes"]
    assert rows["E"]["notes"].startswith("Đã rút hồ sơ: Không còn nhu cầu")
    assert rows["B"]["notes"] == "Trễ hạn" and rows["B"]["returned_at"] is None
    assert rows["B"]["handed_over"] and rows["B"]["phone"] == "0912345678"

    ws = load_workbook(io.BytesIO(client.get(f"/reports/register.xlsx?{query}").content)).active
    assert ws["A1"].value == "SỔ THEO DÕI HỒ SƠ"
    header = [c.value for c in ws[5]]
    assert header[:3] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính"]
    data = [[c.value for c in r] for r in ws.iter_rows(min_row=6)]
    assert [codes[r[1]] for r in data] == list("BGCDJEFH")
    assert data[0][8].strftime("%H:%M %d/%m/%Y") == "08:00 01/12/2026"

    pdf = client.get(f"/reports/register.pdf?{query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from django.template.loader import render_to_string

    html = render_to_string("reports/register_print.html", {"reg": reg, "pdf": True})
    assert "SỔ THEO DÕI HỒ SƠ" in html and scenario["J"] in html
    assert len(pdf_document(html).pages) == 1
    # a centre outside the scope is a 404
    assert client.get("/reports/register/?centre=16531").status_code == 404


def test_every_table_and_list_exports_to_xlsx_with_the_page_figures(scenario):
    import io

    from openpyxl import load_workbook

    from reports.views import TABLES

    client = _manager()
    d = _figures()

    def sheet(url):
        r = client.get(url)
        assert r.status_code == 200, url
        assert r["Content-Type"].startswith("application/vnd.openxmlformats")
        return [
            [c.value for c in row]
            for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=4)
        ]

    for name in TABLES:
        rows = sheet(f"/dashboard/export.xlsx?{urlencode({**PERIOD, 'table': name})}")
        assert rows[0][0], name  # the header row
        if name == "results":
            got = dict((r[0], r[1]) for r in rows[1:])
            assert got["Tiếp nhận mới"] == d["results"]["received"]["value"] == 8
            assert got["— trễ hạn"] == 2 and got["Tồn kỳ trước"] == 1
        if name == "holders":
            handler = next(r for r in rows[1:] if r[3] == 1 and r[5] == 1)
            assert handler[0] == _officer_name(BHXH["handler"])
    # the inbox list behind a figure exports exactly its dossiers
    link = d["results"]["received"]["link"]
    rows = sheet("/inbox/export.xlsx?" + urlencode(link))
    assert sorted(r[0] for r in rows[1:]) == sorted(_listed(client, link))
    assert len(rows) - 1 == 8
    indicators = sheet(f"/dashboard/766/export.xlsx?{urlencode(PERIOD)}")
    first = next(r for r in indicators if r[0] == "2.1")
    assert first[4] == 50.0 and first[7] == 10.0
    officers = sheet(f"/dashboard/officers/export.xlsx?{urlencode(PERIOD)}")
    assert any(r[0] == _officer_name(BHXH["handler"]) and r[3] == 6 for r in officers)
    assert client.get("/dashboard/export.xlsx?table=nope").status_code == 400


def _officer_name(username: str) -> str:
    from procedures.models import Officer

    return Officer.objects.get(user__username=username).full_name


def test_stats_verify_finds_nothing_then_finds_a_changed_count(scenario):
    import io

    from django.core.management import CommandError, call_command

    from reports.models import DayCount

    out = io.StringIO()
    call_command("stats_verify", stdout=out)
    assert "0 chênh lệch" in out.getvalue()
    row = DayCount.objects.filter(kind="ended", outcome="resolved").first()
    DayCount.objects.filter(pk=row.pk).update(n=row.n + 1)
    with pytest.raises(CommandError, match="1 dòng"):
        call_command("stats_verify", stdout=io.StringIO())
    call_command("stats_verify", "--rebuild", stdout=io.StringIO())
    from reports.counters import differences

    assert differences() == []
    restored = DayCount.objects.filter(
        kind="ended",
        outcome="resolved",
        day=row.day,
        verdict=row.verdict,
        verdict_766=row.verdict_766,
        extra=row.extra,
        procedure_id=row.procedure_id,
    ).get()
    assert restored.n == row.n


def test_counts_follow_a_calendar_override_that_moves_the_due_time(demo, clock, api):
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    from reports.counters import differences
    from reports.periods import parse_period
    from reports.selectors import Scope, results

    desk, handler, leader = api(BHXH["desk"]), api(BHXH["handler"]), api(BHXH["leader"])
    code = desk.post("/api/v1/dossiers/", receipt_body(), format="json").json()["code"]
    act(handler, code, "claim")  # Mon 30/11 08:00, due Wed 9/12 08:00
    admin = APIClient()
    admin.force_authenticate(User.objects.get(username="admin"))
    r = admin.post(
        "/api/v1/calendar/overrides/",
        {
            "date": "2026-12-04",
            "kind": "day_off",
            "scope": "centre",
            "centre": "14797",
            "reason": "Sửa chữa trụ sở",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert desk.get(f"/api/v1/dossiers/{code}/").json()["due_at"] == "2026-12-10T08:00:00+07:00"
    clock.set(at(9, 10))  # after the old due time, before the new one
    act(handler, code, "advance")
    act(leader, code, "claim")
    act(leader, code, "advance")
    scope = Scope(User.objects.get(username=MANAGER))
    period = parse_period("range", at=at(9, 11), start="2026-12-01", end="2026-12-31")
    figures = results(scope, period, at=at(9, 11))
    assert figures["resolved_early"]["value"] == 1 and figures["resolved_late"]["value"] == 0
    assert differences() == []


def test_nothing_rewrites_an_end_time_or_a_verdict(scenario):
    """No "reset overdue" path: the admin shows the end time and the verdicts
    read-only, and a change posted to it leaves the dossier as it was."""
    from django.contrib import admin as django_admin

    from workflows.models import Dossier

    model_admin = django_admin.site._registry[Dossier]
    for field in ("ended_at", "timeliness", "received_at", "returned_at"):
        assert field in model_admin.readonly_fields
    code = scenario["B"]
    before = Dossier.objects.values("ended_at", "timeliness", "verdict_766").get(code=code)
    client = Client()
    from django.contrib.auth.models import User

    client.force_login(User.objects.get(username="admin"))
    pk = Dossier.objects.get(code=code).pk
    client.post(
        f"/admin/workflows/dossier/{pk}/change/",
        {"ended_at_0": "01/12/2026", "ended_at_1": "08:00", "timeliness": "on_time"},
    )
    assert Dossier.objects.values("ended_at", "timeliness", "verdict_766").get(code=code) == before


def test_a_wrong_end_time_is_corrected_by_a_reasoned_event_and_flagged(scenario, api):
    from workflows.models import Dossier, DossierEvent
    from workflows.services.history import history_verify

    code = scenario["B"]  # resolved Thu 10/12 10:00, appointment 08:00: late
    manager = api(MANAGER)
    url = f"/api/v1/dossiers/{code}/correct-end/"
    body = {"ended_at": "2026-12-10T07:45:00+07:00", "reason": "Nhập nhầm giờ trên hệ thống"}
    refused = api(BHXH["handler"]).post(url, body, format="json")
    assert refused.status_code == 403 and refused.json()["error"] == "correction_forbidden"
    short = manager.post(url, {**body, "reason": "sai"}, format="json")
    assert short.status_code == 400 and "reason" in short.json()["fields"]
    future = manager.post(url, {**body, "ended_at": "2026-12-19T08:00:00+07:00"}, format="json")
    assert future.status_code == 400 and future.json()["error"] == "correction_out_of_range"
    assert Dossier.objects.get(code=code).corrections == 0  # nothing half-written
    r = manager.post(url, body, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["timeliness"] == "on_time" and r.json()["corrections"] == 1
    event = DossierEvent.objects.filter(dossier__code=code).order_by("-seq").first()
    assert event.kind == "end_corrected"
    assert event.data["reason"] == body["reason"]
    assert event.data["timeliness"] == ["late", "on_time"]
    assert event.data["old_ended_at"].startswith("2026-12-10T03:00:00")  # 10:00 +07 in UTC
    assert history_verify(Dossier.objects.get(code=code)) == []
    d = _figures()
    r2 = {k: v["value"] for k, v in d["results"].items()}
    assert (r2["resolved_late"], r2["resolved_on_time"], r2["corrected"]) == (1, 1, 1)
    listed = _listed(_manager(), d["results"]["corrected"]["link"])
    assert listed == {code}
    report = _manager().get("/reports/?" + urlencode(PERIOD)).content.decode()
    assert 'id="corrected"' in report
    # and through the dossier page's form, as a manager would
    page = _manager().get(f"/dossiers/{code}/")
    assert 'data-action="correct-end"' in page.content.decode()
    again = _manager().post(
        f"/dossiers/{code}/correct-end/",
        {"correct-ended_at": "2026-12-10T07:50", "correct-reason": "Sửa lại cho đúng phút"},
    )
    assert again.status_code == 302
    assert Dossier.objects.get(code=code).corrections == 2


@pytest.mark.parametrize(
    "first, last",
    [
        ("2026-12-01", "2026-12-11"),  # part of a month: day rows
        ("2026-11-01", "2026-11-30"),  # a whole month: its month row
        ("2026-11-15", "2026-12-31"),  # a partial month, a whole one
        ("2026-01-01", "2026-12-31"),  # a year
        ("2026-12-02", "2026-12-02"),  # one day
    ],
)
def test_summed_counts_equal_the_dossiers_for_any_period(scenario, first, last):
    """Month rows for whole months and day rows at the edges add up to what
    the dossiers themselves say (``period_counts``, the live reading)."""
    from django.contrib.auth.models import User

    from reports.periods import parse_period
    from reports.selectors import Scope, day_totals, period_counts

    scope = Scope(User.objects.get(username=MANAGER))
    period = parse_period("range", at=AT, start=first, end=last)
    summed = day_totals(scope, period, at=AT)
    live = scope.dossiers.aggregate(**period_counts(period, at=AT))
    assert summed == live
