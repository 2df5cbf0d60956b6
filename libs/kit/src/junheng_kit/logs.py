"""JSON log lines with a stable dotted event name, the request id and the values in `extra`."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pydantic_core import to_json

from junheng_kit.context import current_request_id
from junheng_kit.timeutil import real_utcnow

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# a person's data never reaches a log line (issue 20 item 2): the values of fields named as a
# person's are dropped (the same names the classification's architecture test requires to be
# personal or sensitive: junheng_kit.classification.PERSONAL_NAME is this pattern), and a
# 公民身份号码 / 学籍号 or a mainland mobile number inside any text is masked
PERSONAL_KEY = re.compile(
    r"citizen_id|id_number|(^|_)(student|child|teacher|guardian|parent|person|list|family)_name$"
    r"|phone|mobile|address|birth|guardian|disabilit|hardship|household|income|student_number"
    r"|permit_number|hukou"
)
ID_IN_TEXT = re.compile(r"(?<![\w.])([A-Z]?\d{6})(\d{8})(\d{3}[\dXx])(?![\w.])")
MOBILE_IN_TEXT = re.compile(r"(?<![\w.])(1[3-9]\d)(\d{4})(\d{4})(?![\w.])")
REDACTED = "[redacted]"


def scrub_text(text: str) -> str:
    """Citizen IDs (and 学籍号 built on them) and mobile numbers in a text, masked as the
    answers mask them."""
    if not any(c.isdigit() for c in text):
        return text
    text = ID_IN_TEXT.sub(lambda m: f"{m[1]}********{m[3]}", text)
    return MOBILE_IN_TEXT.sub(lambda m: f"{m[1]}****{m[3]}", text)


def scrub(key: str, value: Any) -> Any:
    """A log value as it may be written: a personal field's value redacted, texts scrubbed."""
    if PERSONAL_KEY.search(key.lower()):
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    return value


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            # the machine's time: log lines line up with other processes' whatever the seam says
            "time": real_utcnow().isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "event": scrub_text(record.getMessage()),
            "request_id": current_request_id(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = scrub(key, value)
        if record.exc_info:
            line["exception"] = scrub_text(self.formatException(record.exc_info))
        # pydantic-core's encoder: a line per request on every hop, several times json.dumps' speed
        return to_json(line, fallback=str).decode()


def configure_logging(service: str, level: str = "INFO") -> None:
    # the lines carry no thread or process names: don't look them up for every record
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # nor a source file and line: finding the caller walks the stack for every record (the
    # logging documentation's own advice when that information is not wanted)
    logging._srcfile = None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    quiet_tls_close()


def _not_tls_close_noise(record: logging.LogRecord) -> bool:
    # asyncio says so whenever a TLS peer (a NATS node) closes its side: nothing to act on
    return "eof_received() has no effect when using ssl" not in record.getMessage()


def quiet_tls_close() -> None:
    """Drop asyncio's warning about every TLS connection a peer closes (NATS uses TLS)."""
    asyncio_log = logging.getLogger("asyncio")
    if _not_tls_close_noise not in asyncio_log.filters:
        asyncio_log.addFilter(_not_tls_close_noise)


def mask_name(name: str) -> str:
    """Names are shown masked: the surname (first character) and `*`, 张三丰 → 张*."""
    return f"{name[:1]}*" if name else ""


def mask_citizen_id(value: str) -> str:
    """Citizen IDs are shown masked: first six and last four, `150602********123X`."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_student_number(value: str) -> str:
    """学籍号 are shown masked as the citizen IDs they are built on: the prefix letter, then the
    body as `mask_citizen_id` shows it, `G150602********123X`."""
    return value[:1] + mask_citizen_id(value[1:]) if value else ""


def mask_phone(value: str) -> str:
    """Phone numbers are shown masked: first three and last four, `139****5678`."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str) -> str:
    """Addresses are shown masked: the first three characters (a district or town, 东胜区) and
    `****`, never the street or house number: 东胜区天骄路12号 → 东胜区****."""
    return f"{value[:3]}****" if value else ""


def mask_coordinate(value: float) -> float:
    """A home's longitude or latitude is shown rounded to 0.01° (about 1 km): the district
    shows, the house does not."""
    return round(value, 2)
