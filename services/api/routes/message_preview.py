"""Route previewing a report's subject, body and file name templates."""

from fastapi import APIRouter

from services.api.dependencies import ReportDep, SessionDep
from services.api.errors import REPORT_NOT_FOUND
from services.api.message_preview import preview
from services.api.schemas import MessagePreviewOut, MessagePreviewRequest
from shared.events import utc_now

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.post("/{report_id}/preview-message", responses=REPORT_NOT_FOUND)
async def preview_message(
    report: ReportDep, session: SessionDep, body: MessagePreviewRequest | None = None
) -> MessagePreviewOut:
    """Renders the report's templates (or the unsaved ones sent) for its last finished run, or
    for sample values when it has none; 422 naming the field whose template cannot be
    rendered. Nothing is saved or sent."""
    unsaved = {} if body is None else body.model_dump(exclude_unset=True)
    return await preview(session, report, unsaved, utc_now())
