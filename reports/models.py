"""What the reports keep: who looked at whose figures (the officer sees it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FigureView(models.Model):
    """One look by ``viewer`` at another officer's accountability figures.
    Append-only; the officer looked at reads their own entries."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người xem"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cán bộ được xem"),
    )
    at = models.DateTimeField(_("lúc"))
    what = models.CharField(_("trang"), max_length=300)

    class Meta:
        verbose_name = _("lượt xem số liệu cán bộ")
        verbose_name_plural = _("nhật ký xem số liệu cán bộ")
        indexes = [models.Index(fields=["subject", "-at"], name="figureview_subject_idx")]

    def __str__(self) -> str:
        return f"{self.viewer_id} → {self.subject_id} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("The access log is append-only.")
