"""JSON log lines: one parseable object per record, with extras and the traceback."""

from __future__ import annotations

import json
import logging

from peerlearn.common.logging import JsonFormatter


def _line(record: logging.LogRecord) -> dict[str, object]:
    return json.loads(JsonFormatter().format(record))


def test_a_record_becomes_one_json_object_with_its_extras() -> None:
    record = logging.makeLogRecord(
        {"name": "peerlearn.x", "levelname": "WARNING", "msg": "room %s full", "args": (7,)}
    )
    record.room_id = 7
    line = _line(record)
    assert line["message"] == "room 7 full"
    assert (line["level"], line["logger"], line["room_id"]) == ("WARNING", "peerlearn.x", 7)
    assert str(line["time"]).endswith("+00:00")


def test_an_exception_keeps_its_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed", (), exc_info=__import__("sys").exc_info()
        )
    line = _line(record)
    assert "ValueError: boom" in str(line["exception"])
    assert "\n" not in JsonFormatter().format(record)
