"""``kerjasama report``: the yearly *Laporan Pelaksanaan Kerja Sama* as the reporting
service serves it (``GET /reports/{year}.pdf`` or ``.xlsx``), written to a file."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from plumbing.service_client import CliError, ServiceClient

FORMATS = ("pdf", "xlsx")
POSITION_HEADER = "Kerjasama-As-Of-Position"


def default_file(year: int, form: str, lang: str) -> Path:
    """``laporan-kerja-sama-2021.pdf`` (``cooperation-report-2021.pdf`` in English)."""
    stem = "cooperation-report" if lang == "en" else "laporan-kerja-sama"
    return Path(f"{stem}-{year}.{form}")


async def report(args: argparse.Namespace, reporting: ServiceClient) -> str:
    """Fetch the report and write it; one line saying where and from which position."""
    answer = await reporting.request("GET", f"/reports/{args.year}.{args.format}", params={
        "lang": args.lang, "as_of_position": args.as_of_position})
    target: Path = args.file or default_file(args.year, args.format, args.lang)
    try:
        await asyncio.to_thread(target.write_bytes, answer.content)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}") from None
    position = answer.headers.get(POSITION_HEADER, "?")
    return (f"{target}: report {args.year} ({args.format}, {len(answer.content)} bytes) as of "
            f"feed position {position}; check it with: kerjasama kpi verify --year "
            f"{args.year} --as-of-position {position}")


def add_parsers(sub: Any) -> None:
    """Register ``report``."""
    p = sub.add_parser("report", help="write the yearly report (Laporan Pelaksanaan Kerja "
                       "Sama) as PDF or XLSX, as GET /reports/{year}.{format} serves it")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--format", choices=FORMATS, default="pdf")
    p.add_argument("--lang", choices=("id", "en"), default="id",
                   help="id (Bahasa Indonesia, default) or en")
    p.add_argument("--as-of-position", type=int, default=None, metavar="N",
                   help="the report from the feed up to position N (default: all applied)")
    p.add_argument("--output", dest="file", type=Path, default=None, metavar="FILE",
                   help="where to write it (default laporan-kerja-sama-YEAR.FORMAT, "
                   "cooperation-report-YEAR.FORMAT in English)")
    p.set_defaults(run=report, service="reporting")
