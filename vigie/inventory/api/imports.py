"""``POST /api/v1/cameras/import/``: plan an inventory import, then apply it unless dry run.

The parsing, the checks of who may import into which member (IsolationError: 403) and
the writes are in vigie.inventory.imports, shared with the CLI and the web preview; this
module only answers the plan as JSON. Any error in the file: 400, and nothing is written.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from vigie.inventory import imports
from vigie.inventory.api.serializers import ImportPlanSerializer, ImportRequestSerializer


def _row(row: imports.RowPlan) -> dict[str, Any]:
    return {
        "line": row.line,
        "action": row.action,
        "camera_id": row.camera_id,
        "matched_by": row.matched_by,
        "values": dict(row.values),
        "changes": {k: list(v) for k, v in row.changes.items()},
    }


def plan_data(
    plan: imports.ImportPlan,
    member: Any,
    *,
    dry_run: bool,
    errors: list[imports.RowError] | None = None,
    result: imports.ImportResult | None = None,
) -> dict[str, Any]:
    errors = plan.errors if errors is None else errors
    return {
        "member": member.slug,
        "file_format": plan.file_format,
        "encoding": plan.encoding,
        "delimiter": plan.delimiter,
        "headers": dict(plan.headers),
        "sites_to_create": list(plan.sites_to_create),
        "dry_run": dry_run,
        "applied": result is not None,
        "counts": {
            "create": plan.count("create"),
            "update": plan.count("update"),
            "unchanged": plan.count("unchanged"),
            "errors": len(errors),
        },
        "rows": [_row(r) for r in plan.rows],
        "errors": [asdict(e) for e in errors],
        "result": None if result is None else asdict(result),
    }


def import_cameras(view: Any, request: Request) -> Response:
    params = ImportRequestSerializer(data=request.data, context=view.get_serializer_context())
    params.is_valid(raise_exception=True)
    member = params.validated_data["member"]
    dry_run = params.validated_data["dry_run"]
    data = params.validated_data["file"].read()
    plan = imports.plan_import(data, member, request.user)
    if not plan.ok:
        return _answer(plan_data(plan, member, dry_run=dry_run), 400)
    if dry_run:
        return _answer(plan_data(plan, member, dry_run=True), 200)
    try:
        result = imports.apply_import(plan, member, request.user)
    except imports.ImportRefused as refused:
        return _answer(plan_data(plan, member, dry_run=False, errors=refused.errors), 400)
    return _answer(plan_data(plan, member, dry_run=False, result=result), 200)


def _answer(data: dict[str, Any], status: int) -> Response:
    return Response(ImportPlanSerializer(data).data, status=status)
