"""The statistics page (the brief's yearly table, a chart, CSV) and the pages where
past years' figures are entered by hand."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.core.views import Column, ObjectDetailView, ObjectEditView, ObjectListView, may
from vigie.evidence import stats
from vigie.evidence.filters import YearlyStatisticsFilter
from vigie.evidence.forms import YearlyStatisticsForm
from vigie.evidence.models import YearlyStatistics


def _table(request: HttpRequest) -> stats.Table:
    try:
        table = stats.Table.for_request(request.user, request.GET)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    if table is None:
        raise PermissionDenied(_("Your roles do not show statistics."))
    return table


def statistics(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    table = _table(request)
    rows = [
        {
            "year": r.year,
            "member": table.names.get(r.member_id, ""),
            "cells": [r.cells[f] for f in stats.FIELDS],
        }
        for r in table.rows
    ]
    context = {
        "title": _("Requisition statistics"),
        "table": table,
        "labels": [stats.LABELS[f] for f in stats.FIELDS],
        "rows": rows,
        "totals": [table.total()[f] for f in stats.FIELDS] if table.one_scope else None,
        "chart": stats.bar_chart(table.rows) if table.one_scope else "",
        "query": request.GET.urlencode(),
        "may_enter": may(request.user, YearlyStatistics, "add"),
    }
    return render(request, "evidence/statistics.html", context)


def statistics_csv(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        raise PermissionDenied
    table = _table(request)
    response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="requisition-statistics.csv"'
    return response


class YearlyStatisticsListView(ObjectListView):
    model = YearlyStatistics
    add_label = gettext_lazy("Enter a past year")
    filterset = YearlyStatisticsFilter
    select_related = ("member",)
    columns = (
        Column("year", link=True),
        Column("member", render=lambda r: r.member or _("Whole syndicate")),
        Column("viewing_requests"),
        Column("positive"),
        Column("negative"),
        Column("with_export"),
        Column("review_hours"),
    )


class YearlyStatisticsDetailView(ObjectDetailView):
    model = YearlyStatistics
    select_related = ("member",)
    fields = (
        Column("member", render=lambda r: r.member or _("Whole syndicate")),
        Column("year"),
        *(Column(f) for f in stats.FIELDS),
        Column("notes"),
    )


class YearlyStatisticsEditView(ObjectEditView):
    model = YearlyStatistics
    add_label = gettext_lazy("Enter a past year")
    form_class = YearlyStatisticsForm
