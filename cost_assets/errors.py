"""The project's one error type for input it cannot use."""

from collections.abc import Sequence


class InputError(Exception):
    """Bad input: names the file, the column and the first offending rows where known."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.column = column
        self.rows = list(rows) if rows is not None else None
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.column:
            where.append(f"column {self.column!r}")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:5])
            more = f" and {len(self.rows) - 5} more" if len(self.rows) > 5 else ""
            where.append(f"rows {shown}{more}")
        return f"{self.message} ({'; '.join(where)})" if where else self.message
