"""Domain errors for backend calls: a plain message, the HTTP status, and the next step."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tui.errors import TunedeckError

if TYPE_CHECKING:
    from tui.datasets.lint import LintReport


class ErrorKind(StrEnum):
    BAD_KEY = "bad-key"  # 400 API_KEY_INVALID, 401, 403 without scopes
    SCOPES = "insufficient-scopes"  # 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT
    NOT_FOUND = "not-found"  # 404
    INVALID = "invalid-argument"  # other 400
    RATE_LIMITED = "rate-limited"  # 429
    SERVER = "server"  # 5xx
    UNREACHABLE = "unreachable"  # connection refused, DNS
    TIMEOUT = "timeout"
    FAILED_PRECONDITION = "failed-precondition"


class BackendError(TunedeckError):
    """A backend call failed. `str()` is safe to show: it never contains a secret."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        next_step: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, next_step)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in (ErrorKind.RATE_LIMITED, ErrorKind.SERVER, ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT)

    def __str__(self) -> str:
        where = f"HTTP {self.status}: " if self.status else ""
        tail = f" — {self.next_step}" if self.next_step else ""
        return f"{where}{self.message}{tail}"


class LaunchRefused(TunedeckError):
    """The dataset has lint errors, so the job was not submitted (pass force=True to override).

    `report` is the lint report from `tui.datasets.lint`; `str()` names the first errors
    with their file and line.
    """

    def __init__(self, report: LintReport, path: str = "") -> None:
        from tui.models import Severity  # pydantic: not for the settings' backend detection, which needs this module

        self.report = report
        errors = [f for f in report.findings if f.severity is Severity.ERROR]
        lines = []
        for finding in errors[:5]:
            where = finding.path or path
            if finding.line:
                where = f"{where}:{finding.line}"
            lines.append(f"  {where}: {finding.message}" + (f" ({finding.hint})" if finding.hint else ""))
        total = max(len(errors), report.counts.get(Severity.ERROR.value, 0))
        more = f"\n  … and {total - len(lines)} more" if total > len(lines) else ""
        super().__init__(
            f"{path or 'the dataset'} has {total} error{'' if total == 1 else 's'}; "
            f"fix {'it' if total == 1 else 'them'} before launching\n" + "\n".join(lines) + more,
            "fix the findings (`tunedeck validate` lists them), then launch again",
        )
        self.error_count = total
