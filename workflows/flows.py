"""The one generic flow, driven by the dossier's route (its procedure-version
steps resolved to units at receipt), then back to the desk for return.

    start → step ⟲ (a human task queued for the step's unit; loops while the
                    route has more steps)
                 └→ deliver (a human task at the reception desk) → end

Nodes hold no business rules: the step node reads the dossier's position on
its route to pick what comes next, the task callbacks call the handover
service. The dossier service that drives the flow has already locked the
dossier row and put the action (who, when) into ``workflows.services.context``.
"""

from __future__ import annotations

import contextlib

from django.db import connection
from django.http import Http404
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.base import Edge
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_started, task_started

from procedures.models import Unit


def _no_ui(request, **kwargs):  # pragma: no cover - tasks are driven through the REST API
    raise Http404


def _current_unit(process) -> Unit:
    """The unit that performs the step being queued (the task's permission object)."""
    from workflows.services.context import current

    dossier = current().dossier
    return Unit(pk=dossier.route[dossier.current_step]["unit"])


class DossierRowLock:
    """Viewflow's flow lock. Every dossier service already holds the dossier
    row lock (``SELECT … FOR UPDATE``) inside its transaction, which
    serialises all work on one process; this only checks that it is so."""

    @contextlib.contextmanager
    def __call__(self, flow_class, process_pk):
        assert connection.in_atomic_block, "the dossier flow runs inside a dossier service"
        yield


class DossierStartActivation(StartHandleActivation):
    """Start inside the dossier service's transaction, under its row lock.

    Viewflow's own start wraps itself in two nested ``atomic()`` blocks
    (two savepoints per receipt); the service's transaction already gives
    the same all-or-nothing guarantee.
    """

    @Activation.status.super()
    def execute(self):
        assert connection.in_atomic_block, "the dossier flow runs inside a dossier service"
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        self.process.save()
        self.complete()
        flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
        self.activate_next()


class DossierStart(flow.StartHandle):
    activation_class = DossierStartActivation


class RouteStepActivation(ViewActivation):
    @Activation.status.super()
    def create_next(self):
        node = self.flow_task._next if self.flow_task._more(self) else self.flow_task._else
        yield node._create(self, self.task.token)


class RouteStep(flow.View):
    """A human task that repeats along the dossier's route: after it, the next
    step of the route if there is one (``Next``), otherwise ``Else``."""

    activation_class = RouteStepActivation

    def __init__(self, view, **kwargs):
        super().__init__(view, **kwargs)
        self._more = None
        self._else = None

    def While(self, condition) -> RouteStep:
        self._more = condition
        return self

    def Else(self, node) -> RouteStep:
        self._else = node
        return self

    def _resolve(self, instance):
        super()._resolve(instance)
        self._more = this.resolve(instance, self._more)
        self._else = this.resolve(instance, self._else)

    def _outgoing(self):
        yield from super()._outgoing()
        if self._else:
            yield Edge(src=self, dst=self._else, edge_class="next")


class DossierFlow(flow.Flow):
    process_title = "Giải quyết hồ sơ thủ tục hành chính"
    process_description = "Các bước xử lý hồ sơ theo quy trình của thủ tục, rồi trả kết quả."
    lock_impl = DossierRowLock()

    start = DossierStart(this.start_process).Next(this.step)
    step = (
        RouteStep(_no_ui)
        .Permission("workflows.handle_dossier", obj=_current_unit)
        .onCreate(this.task_created)
        .While(this.has_next_step)
        .Next(this.step)
        .Else(this.deliver)
    )
    deliver = (
        flow.View(_no_ui)
        .Permission("workflows.receive_dossier", obj=_current_unit)
        .onCreate(this.task_created)
        .Next(this.end)
    )
    end = flow.End()

    # --- node callbacks -------------------------------------------------------------

    def start_process(self, activation, *, context):
        activation.process.data = {"dossier": context.dossier.code}
        return activation.process

    def has_next_step(self, activation) -> bool:
        from workflows.services.context import current

        dossier = current().dossier
        return dossier.current_step < len(dossier.route) - 1

    def task_created(self, activation) -> None:
        from workflows.services.handovers import handover_open

        handover_open(task=activation.task)
