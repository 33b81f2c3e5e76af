"""A pandas DataFrame's data as E2B's `Result.data` holds it: `{column: [values, ...]}`.

Sent in the result's MIME bundle as `application/vnd.hutch.data+json` (JSON text, like
`application/json`); the SDK parses it into `Result.data`. Values are JSON's own (numbers, strings,
null; dates as ISO text), not their Python reprs. Frames over `MAX_CELLS` cells are left to their
`text/html` and `text/plain`: a result is a message, not a data transfer.
"""

from __future__ import annotations

import json
import sys
from typing import Any

MIME = "application/vnd.hutch.data+json"
MAX_CELLS = 100_000


def is_frame(obj: object) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def frame_data(frame: Any) -> str | None:
    """The frame's columns as JSON text, or None when it is too big or cannot be converted."""
    if frame.size > MAX_CELLS:
        return None
    try:
        columns = {str(name): json.loads(frame[name].to_json(orient="values", date_format="iso"))
                   for name in frame.columns}  # fmt: skip
    except Exception:  # duplicate column names, objects pandas cannot write as JSON
        return None
    return json.dumps(columns)
