"""Background work of imports: the run itself, in the worker (``huiyuan worker``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from huiyuan.imports.services import import_run


@task()
def run_import(job_id: int) -> dict[str, Any]:
    """Run an import job to the end (or resume it after its last committed batch)."""
    job = import_run(job_id=job_id)
    return {"job": job.pk, "status": job.status, "rows": job.rows_done}
