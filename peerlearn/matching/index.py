"""The per-process ``TutorIndex``: every tutor's static features as NumPy arrays.

Built from the database in a handful of bulk queries; rebuilt when a cheap fingerprint (max
profile ``updated_at``, teaching-subject count/max id, availability count/max id, booking max
``updated_at``, stored rating totals' max ``updated_at``) moves.
Scoring then runs over arrays, never a Python loop over ORM rows.

A built index is also written to ``settings.MATCHING_INDEX_DIR`` as a snapshot keyed by the
database and the fingerprint: a process that finds the snapshot of the current fingerprint
loads it (milliseconds) instead of building (seconds at 20,000 tutors). The web servers'
start-up warm-up (``config.warmup``) calls ``get_index`` so that happens before any request.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from peerlearn.accounts.models import (
    AvailabilityWindow,
    LearningStyle,
    Level,
    Profile,
    SessionFormat,
    Subject,
    TeachingSubject,
)
from peerlearn.reviews.models import TutorRatingTotal
from peerlearn.reviews.selectors import PRIOR_WEIGHT, rating_prior
from peerlearn.scheduling.models import Booking, BookingEvent

LEVELS = [Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED, Level.EXPERT]
STYLE_BITS = {s: i for i, s in enumerate(LearningStyle.values)}
FORMAT_BITS = {s: i for i, s in enumerate(SessionFormat.values)}
HOURS_PER_WEEK = 168
SNAPSHOT_FORMAT = 1  # bump when TutorIndex's fields change: older snapshots are then ignored
logger = logging.getLogger(__name__)
WORDS = 3  # 168 hour bits packed into three uint64 words


def week_bits(windows: list[tuple[int, float, float]]) -> np.ndarray:
    """A weekly availability (weekday, start hour, end hour in UTC, may wrap) as 3 uint64."""
    hours = np.zeros(192, dtype=bool)
    for weekday, start, end in windows:
        first, last = int(np.floor(weekday * 24 + start)), int(np.ceil(weekday * 24 + end))
        for h in range(first, last):
            hours[h % HOURS_PER_WEEK] = True
    packed = np.packbits(hours, bitorder="little")  # 24 bytes
    return packed.view(np.uint64)


@dataclass
class TutorIndex:
    """Row i describes tutor ``ids[i]``. Static feature columns are in [0, 1]."""

    ids: np.ndarray  # int64
    rating: np.ndarray  # Bayesian average, 1..5
    rating_count: np.ndarray
    sessions: np.ndarray  # completed sessions taught
    reliability: np.ndarray  # [0, 1]
    response: np.ndarray  # [0, 1]
    response_minutes: np.ndarray  # median minutes to answer a request (nan: unknown)
    verified_any: np.ndarray  # bool
    lat: np.ndarray  # radians, nan without a location
    lon: np.ndarray
    languages: np.ndarray  # uint64 bitmask over ``language_bits``
    styles: np.ndarray  # uint8 bitmask
    formats: np.ndarray  # uint8 bitmask
    week: np.ndarray  # (n, 3) uint64: free hours of the week in UTC
    language_bits: dict[str, int] = field(default_factory=dict)
    # subject id -> (rows, proficiency rank 0..3, verified)
    by_subject: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    parent_of: dict[int, int | None] = field(default_factory=dict)
    children_of: dict[int, list[int]] = field(default_factory=dict)
    subject_names: dict[int, str] = field(default_factory=dict)
    row_of: dict[int, int] = field(default_factory=dict)
    fingerprint: tuple[object, ...] = ()
    # Learner-independent feature columns, derived once per build (``__post_init__``).
    rating_feature: np.ndarray = field(init=False, repr=False)  # (rating − 1) / 4, clipped
    experience_feature: np.ndarray = field(init=False, repr=False)  # 1 − exp(−sessions / 10)
    style_format: np.ndarray = field(init=False, repr=False)  # uint16: styles | formats << 8
    verified_half: np.ndarray = field(init=False, repr=False)  # 0.5 where verified in any subject
    _static_cache: tuple[bytes, np.ndarray] | None = field(
        init=False, repr=False, default=None, compare=False
    )
    # parent subject id -> its topics' rows, ranks, verified and subject ids in one block,
    # ordered by rank (``children_block``)
    _blocks: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        init=False, repr=False, default_factory=dict, compare=False
    )
    _entries: Entries | None = field(init=False, repr=False, default=None, compare=False)

    def __post_init__(self) -> None:
        self.rating_feature = np.clip((self.rating - 1.0) / 4.0, 0, 1)
        self.experience_feature = 1.0 - np.exp(-self.sessions / 10.0)  # EXPERIENCE_SCALE
        self.verified_half = np.where(self.verified_any, 0.5, 0.0)
        self.style_format = self.styles.astype(np.uint16) | (
            self.formats.astype(np.uint16) << np.uint16(8)
        )

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])

    def static_score(
        self, w_rating: float, w_exp: float, w_resp: float, w_rel: float
    ) -> np.ndarray:
        """``w·(rating, experience, response, reliability)`` per row: the learner-independent
        part of the score, computed once per (index, weights) and then only gathered."""
        key = np.array([w_rating, w_exp, w_resp, w_rel]).tobytes()
        cached = self._static_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        score = (
            w_rating * self.rating_feature
            + w_exp * self.experience_feature
            + w_resp * self.response
            + w_rel * self.reliability
        )
        self._static_cache = (key, score)  # one tuple assignment: safe to race
        return score

    def children_block(
        self, parent: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Every child subject's (rows, ranks, verified) of ``parent`` concatenated, with each
        row's subject id, ordered by rank: one fancy assignment over the block leaves every row
        its best rank's values (the last write wins). Built once per parent."""
        block = self._blocks.get(parent)
        if block is None:
            parts = [
                (sid, *self.by_subject[sid])
                for sid in self.children_of.get(parent, [])
                if sid in self.by_subject
            ]
            if not parts:
                return None
            rows = np.concatenate([p[1] for p in parts])
            ranks = np.concatenate([p[2] for p in parts])
            verified = np.concatenate([p[3] for p in parts])
            origin = np.concatenate([np.full(p[1].size, p[0], dtype=np.int64) for p in parts])
            order = np.argsort(ranks, kind="stable")
            block = (rows[order], ranks[order], verified[order], origin[order])
            self._blocks[parent] = block
        return block

    def entries(self) -> Entries:
        """Every (tutor row, subject) teaching entry in one layout (``Entries``), built once."""
        entries = self._entries
        if entries is None:
            entries = self._entries = Entries.build(self)
        return entries

    def language_mask(self, codes: list[str]) -> int:
        mask = 0
        for code in codes:
            bit = self.language_bits.get(code)
            if bit is not None:
                mask |= 1 << bit
        return mask


def fingerprint() -> tuple[object, ...]:
    ts = TeachingSubject.objects.aggregate(n=Count("pk"), m=Max("pk"), v=Max("verified_at"))
    windows = AvailabilityWindow.objects.aggregate(m=Max("pk"), n=Count("pk"))
    return (
        Profile.objects.aggregate(m=Max("updated_at"))["m"],
        ts["n"],
        ts["m"],
        ts["v"],
        windows["m"],
        windows["n"],
        Booking.objects.aggregate(m=Max("updated_at"))["m"],
        TutorRatingTotal.objects.aggregate(m=Max("updated_at"))["m"],
    )


def _utc_shift(tz_name: str) -> float:
    """Hours to subtract from the zone's wall clock to get UTC, at the current offset."""
    try:
        tz = ZoneInfo(tz_name)
    except Exception:
        tz = ZoneInfo("UTC")
    offset = timezone.now().astimezone(tz).utcoffset() or timedelta(0)
    return offset.total_seconds() / 3600


def _utc_windows(
    tz_name: str, rows: Sequence[tuple[int, Any, Any]], shifts: dict[str, float] | None = None
) -> list[tuple[int, float, float]]:
    """Wall-clock windows converted to UTC hours of the week at the current offset (``shifts``:
    offsets already computed by zone name, filled as it goes; a build reads thousands of
    tutors in a few dozen zones)."""
    if shifts is None:
        shift = _utc_shift(tz_name)
    else:
        if tz_name not in shifts:
            shifts[tz_name] = _utc_shift(tz_name)
        shift = shifts[tz_name]
    return [
        (
            weekday,
            start.hour + start.minute / 60 - shift,
            end.hour + end.minute / 60 - shift,
        )
        for weekday, start, end in rows
    ]


def build_index() -> TutorIndex:
    """Read every tutor once (bulk ``values_list`` queries) into arrays."""
    fp = fingerprint()
    teach = list(
        TeachingSubject.objects.filter(user__is_active=True).values_list(
            "user_id", "subject_id", "proficiency", "verified_at"
        )
    )
    ids = np.array(sorted({t[0] for t in teach}), dtype=np.int64)
    n = ids.shape[0]
    row_of = {int(u): i for i, u in enumerate(ids)}

    subj: dict[int, tuple[list[int], list[int], list[bool]]] = {}
    verified_any = np.zeros(n, dtype=bool)
    level_rank: dict[str, int] = {lv: i for i, lv in enumerate(LEVELS)}
    for user_id, subject_id, proficiency, verified_at in teach:
        rows, ranks, ver = subj.setdefault(subject_id, ([], [], []))
        r: int | None = row_of[user_id]
        assert r is not None
        rows.append(r)
        ranks.append(level_rank.get(proficiency, 2))
        ver.append(verified_at is not None)
        if verified_at is not None:
            verified_any[r] = True
    by_subject = {
        s: (np.array(a, dtype=np.int64), np.array(b, dtype=np.int8), np.array(c, dtype=bool))
        for s, (a, b, c) in subj.items()
    }

    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    languages = np.zeros(n, dtype=np.uint64)
    styles = np.zeros(n, dtype=np.uint8)
    formats = np.zeros(n, dtype=np.uint8)
    language_bits: dict[str, int] = {}
    tz_of: dict[int, str] = {}
    for user_id, la, lo, langs, sty, fmts, tz in Profile.objects.filter(
        user_id__in=TeachingSubject.objects.values("user_id")
    ).values_list(
        "user_id",
        "latitude",
        "longitude",
        "languages",
        "learning_styles",
        "session_formats",
        "timezone",
    ):
        r = row_of.get(user_id)
        if r is None:
            continue
        tz_of[user_id] = tz
        if la is not None and lo is not None:
            lat[r], lon[r] = np.radians(la), np.radians(lo)
        mask = 0
        for code in langs or []:
            bit = language_bits.setdefault(str(code), len(language_bits))
            if bit < 64:
                mask |= 1 << bit
        languages[r] = mask
        styles[r] = sum(1 << STYLE_BITS[s] for s in (sty or []) if s in STYLE_BITS)
        formats[r] = sum(1 << FORMAT_BITS[f] for f in (fmts or []) if f in FORMAT_BITS)

    per_user: dict[int, list[tuple[int, object, object]]] = {}
    for user_id, weekday, start, end in AvailabilityWindow.objects.values_list(
        "user_id", "weekday", "start_time", "end_time"
    ):
        if user_id in row_of:
            per_user.setdefault(user_id, []).append((weekday, start, end))
    week = np.zeros((n, WORDS), dtype=np.uint64)
    shifts: dict[str, float] = {}
    for user_id, rows_ in per_user.items():
        windows = _utc_windows(tz_of.get(user_id, "UTC"), rows_, shifts)
        week[row_of[user_id]] = week_bits(windows)

    # Ratings: the same Bayesian average as reviews.selectors.tutor_rating, from the stored
    # per-tutor totals.
    prior = rating_prior()
    total = np.zeros(n)
    count = np.zeros(n)
    for tutor_id, s, c in TutorRatingTotal.objects.values_list("tutor_id", "total", "count"):
        r = row_of.get(tutor_id)
        if r is not None:
            total[r], count[r] = float(s), c
    rating = (PRIOR_WEIGHT * prior + total) / (PRIOR_WEIGHT + count)

    # Sessions and reliability (the formula of scheduling.selectors.Reliability, in bulk).
    sessions = np.zeros(n)
    finished = np.zeros(n)
    slips = np.zeros(n)
    for tutor_id, done, fin, noshow, late in (
        Booking.objects.values("tutor_id")
        .annotate(
            done=Count("pk", filter=Q(status=Booking.Status.COMPLETED)),
            fin=Count(
                "pk",
                filter=Q(
                    status__in=[
                        Booking.Status.COMPLETED,
                        Booking.Status.NO_SHOW,
                        Booking.Status.CANCELLED,
                    ]
                ),
            ),
            noshow=Count("pk", filter=Q(status=Booking.Status.NO_SHOW, no_show_user_id=F_tutor())),
            late=Count("pk", filter=Q(status=Booking.Status.CANCELLED, cancelled_late=True)),
        )
        .values_list("tutor_id", "done", "fin", "noshow", "late")
    ):
        r = row_of.get(tutor_id)
        if r is not None:
            sessions[r], finished[r], slips[r] = done, fin, noshow + late
    reliability = (finished - slips + 5) / (finished + 5)

    # Responsiveness: share of requests the tutor answered and how fast (request → answer).
    asked = np.zeros(n)
    answered = np.zeros(n)
    minutes: dict[int, list[float]] = {}
    since = timezone.now() - timedelta(days=180)
    for tutor_id, created, at in BookingEvent.objects.filter(
        action__in=["accept", "decline", "counter"],
        booking__created_at__gte=since,
        actor_id=F_booking_tutor(),
    ).values_list("booking__tutor_id", "booking__created_at", "at"):
        r = row_of.get(tutor_id)
        if r is not None:
            answered[r] += 1
            minutes.setdefault(r, []).append((at - created).total_seconds() / 60)
    for tutor_id, c in (
        Booking.objects.filter(created_at__gte=since)
        .values("tutor_id")
        .annotate(c=Count("pk"))
        .values_list("tutor_id", "c")
    ):
        r = row_of.get(tutor_id)
        if r is not None:
            asked[r] = c
    response_minutes = np.full(n, np.nan)
    for r, values in minutes.items():
        response_minutes[r] = float(np.median(values))
    rate = (answered + 1) / (asked + 2)
    speed = np.where(
        np.isnan(response_minutes), 0.5, 1 / (1 + np.nan_to_num(response_minutes) / 240)
    )
    response = np.clip(rate * (0.5 + 0.5 * speed), 0, 1)

    subjects = list(Subject.objects.values_list("pk", "parent_id", "name"))
    parent_of: dict[int, int | None] = {pk: parent for pk, parent, _ in subjects}
    children_of: dict[int, list[int]] = {}
    for pk, parent, _ in subjects:
        if parent is not None:
            children_of.setdefault(parent, []).append(pk)
    return TutorIndex(
        ids=ids,
        rating=rating,
        rating_count=count,
        sessions=sessions,
        reliability=np.clip(reliability, 0, 1),
        response=response,
        response_minutes=response_minutes,
        verified_any=verified_any,
        lat=lat,
        lon=lon,
        languages=languages,
        styles=styles,
        formats=formats,
        week=week,
        language_bits=language_bits,
        by_subject=by_subject,
        parent_of=parent_of,
        children_of=children_of,
        subject_names={pk: name for pk, _, name in subjects},
        row_of=row_of,
        fingerprint=fp,
    )


def F_tutor():
    from django.db.models import F

    return F("tutor_id")


def F_booking_tutor():
    from django.db.models import F

    return F("booking__tutor_id")


_lock = threading.Lock()
_current: TutorIndex | None = None
_checked_at: datetime | None = None
_rebuilding: threading.Thread | None = None
CHECK_EVERY = timedelta(seconds=30)
REBUILD_THREAD = "tutor-index-rebuild"


def get_index(*, force: bool = False) -> TutorIndex:
    """The process's index; the fingerprint is re-read at most every ``CHECK_EVERY``. When it
    moved, the snapshot of the new fingerprint is loaded if some process already wrote it;
    else the index is built and its snapshot written — in a web process (``WARM_UP``) that
    already has an index, or finds an older snapshot of this database at start, by a
    background thread while callers use that index until it is done, so no request waits for
    a build. ``force``: built now. A caller arriving while another thread (the start-up
    warm-up) loads or builds the first index waits for it."""
    global _current, _checked_at
    with _lock:
        now = timezone.now()
        if (
            not force
            and _current is not None
            and _checked_at is not None
            and now - _checked_at < CHECK_EVERY
        ):
            return _current
        fp = fingerprint()
        _checked_at = now
        if not force and _current is not None and _current.fingerprint == fp:
            return _current
        loaded = None if force else load_snapshot(fp)
        if loaded is None and not force and _current is None and settings.WARM_UP:
            loaded = load_latest_snapshot()  # a new web process: older data, rebuilt below
            if loaded is not None:
                _current = loaded
        if loaded is not None and loaded.fingerprint == fp:
            _current = loaded
        elif not force and _current is not None and settings.WARM_UP:
            _rebuild_in_background()
        else:
            _current = build_index()
            save_snapshot(_current)
        return _current


def _rebuild_in_background() -> None:
    """Start one rebuild thread unless one is running (called with ``_lock`` held)."""
    global _rebuilding
    if _rebuilding is not None and _rebuilding.is_alive():
        return
    _rebuilding = threading.Thread(target=_rebuild, name=REBUILD_THREAD, daemon=True)
    _rebuilding.start()


def _rebuild() -> None:
    global _current
    try:
        index = build_index()
        save_snapshot(index)
        index.entries()  # built here, not by the first request served from it
        with _lock:
            _current = index
    except Exception:
        logger.warning("tutor index rebuild failed; the next check tries again", exc_info=True)
    finally:
        connection.close()  # this thread's own connection


def invalidate() -> None:
    global _current, _checked_at
    with _lock:
        _current, _checked_at = None, None


def _after_fork_in_child() -> None:
    """A server that loads the application and then forks its workers (``gunicorn --preload``)
    must not hand them the lock of a warm-up or rebuild thread that does not exist in the
    child: the child gets a free lock (and keeps the index if it was complete)."""
    global _lock, _rebuilding
    _lock = threading.Lock()
    _rebuilding = None


os.register_at_fork(after_in_child=_after_fork_in_child)


def _database_key() -> str:
    db = connection.settings_dict
    where = repr((db["ENGINE"], db["NAME"], db["HOST"], db["PORT"]))
    return hashlib.sha256(where.encode()).hexdigest()[:16]


ARRAYS = (
    "ids",
    "rating",
    "rating_count",
    "sessions",
    "reliability",
    "response",
    "response_minutes",
    "verified_any",
    "lat",
    "lon",
    "languages",
    "styles",
    "formats",
    "week",
)


def snapshot_path(fp: tuple[object, ...]) -> Path | None:
    """Where the snapshot of this database at fingerprint ``fp`` lives (None: snapshots off)."""
    folder = settings.MATCHING_INDEX_DIR
    if not folder:
        return None
    state = hashlib.sha256(repr((SNAPSHOT_FORMAT, fp)).encode()).hexdigest()[:32]
    return Path(folder) / f"tutor-index-{_database_key()}-{state}.npz"


def _snapshot_bytes(index: TutorIndex) -> bytes:
    """The index as plain arrays and JSON (an ``.npz`` read with ``allow_pickle=False``: a
    snapshot is data, never code)."""
    subjects = sorted(index.by_subject)
    parts = [index.by_subject[s] for s in subjects]
    sizes = [len(rows) for rows, _, _ in parts]
    meta = {
        "fingerprint": repr(index.fingerprint),
        "language_bits": index.language_bits,
        "parent_of": {str(k): v for k, v in index.parent_of.items()},
        "children_of": {str(k): v for k, v in index.children_of.items()},
        "subject_names": {str(k): v for k, v in index.subject_names.items()},
    }
    out = io.BytesIO()
    np.savez(
        out,
        **{name: getattr(index, name) for name in ARRAYS},
        subject_ids=np.array(subjects, dtype=np.int64),
        subject_offsets=np.cumsum([0, *sizes], dtype=np.int64),
        subject_rows=np.concatenate([p[0] for p in parts] or [np.zeros(0, np.int64)]),
        subject_ranks=np.concatenate([p[1] for p in parts] or [np.zeros(0, np.int8)]),
        subject_verified=np.concatenate([p[2] for p in parts] or [np.zeros(0, bool)]),
        meta=np.array(json.dumps(meta)),
    )
    return out.getvalue()


def _index_from_snapshot(data: bytes, fp: tuple[object, ...] | None) -> TutorIndex | None:
    """The snapshot's index if it was built at ``fp`` (None: whatever it was built at; its
    fingerprint then never equals a live one, so the next check replaces it)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as saved:
        meta = json.loads(str(saved["meta"]))
        if fp is None:
            fp = ("older snapshot", meta["fingerprint"])
        elif meta["fingerprint"] != repr(fp):
            return None
        offsets, subjects = saved["subject_offsets"], saved["subject_ids"].tolist()
        rows, ranks, verified = (
            saved["subject_rows"],
            saved["subject_ranks"],
            saved["subject_verified"],
        )
        by_subject = {
            sid: (rows[a:b], ranks[a:b], verified[a:b])
            for sid, a, b in zip(subjects, offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
        }
        arrays = {name: saved[name] for name in ARRAYS}
    return TutorIndex(
        **arrays,
        language_bits=meta["language_bits"],
        by_subject=by_subject,
        parent_of={int(k): v for k, v in meta["parent_of"].items()},
        children_of={int(k): v for k, v in meta["children_of"].items()},
        subject_names={int(k): v for k, v in meta["subject_names"].items()},
        row_of={u: i for i, u in enumerate(arrays["ids"].tolist())},
        fingerprint=fp,
    )


def load_snapshot(fp: tuple[object, ...]) -> TutorIndex | None:
    """The index some process built at fingerprint ``fp``, or None."""
    path = snapshot_path(fp)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        return _index_from_snapshot(data, fp)
    except Exception:
        logger.warning("unreadable tutor index snapshot %s; building instead", path, exc_info=True)
        return None


def load_latest_snapshot() -> TutorIndex | None:
    """This database's newest snapshot, whatever data it was built from, or None."""
    folder = settings.MATCHING_INDEX_DIR
    if not folder:
        return None
    try:
        paths = sorted(
            Path(folder).glob(f"tutor-index-{_database_key()}-*.npz"),
            key=lambda path: path.stat().st_mtime,
        )
        return _index_from_snapshot(paths[-1].read_bytes(), None) if paths else None
    except Exception:
        logger.warning("unreadable tutor index snapshot in %s", folder, exc_info=True)
        return None


def save_snapshot(index: TutorIndex) -> None:
    """Write the snapshot atomically (other processes may be reading) and remove this
    database's older ones. A failure only costs other processes a build."""
    path = snapshot_path(index.fingerprint)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_bytes(_snapshot_bytes(index))
        os.replace(partial, path)
        for older in path.parent.glob(f"tutor-index-{_database_key()}-*.npz"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:
        logger.warning("could not write the tutor index snapshot %s", path, exc_info=True)


@dataclass
class Entries:
    """Every ``by_subject`` entry (tutor row, subject, rank, verified) of an index in one set of
    arrays, laid out so that each subject's entries are one slice (``span``) in their
    ``by_subject`` order and all topics of a parent are one contiguous slice (``block``, in
    ``children_of`` order), with copies of the per-row columns the cheap bound reads (so the
    bound reads slices, not scattered rows), and a by-row view (``by_row``/``row_start``: the
    entries of row r are ``by_row[row_start[r]:row_start[r + 1]]``) for replaying the subject
    match over a few rows. Learner-independent; built once per index (``TutorIndex.entries``).
    Score parts that depend on weights and quality are cached (``quality_cache``,
    ``base_cache``). Memory: ~20 bytes an entry (+12 for the caches)."""

    rows: np.ndarray  # int64 index row
    rank: np.ndarray  # int8 proficiency rank
    verified: np.ndarray  # bool: verified in this subject
    slot: np.ndarray  # int32 the entry's subject slot (the slot_* arrays)
    slot_subject: np.ndarray  # per slot: int64 subject id
    slot_start: np.ndarray  # per slot: int64 its first entry (position in by_subject = e − it)
    slot_parent: np.ndarray  # per slot: int64 the parent whose block holds it (-1: none)
    slot_child_pos: np.ndarray  # per slot: int64 position within children_of[parent]
    # uint16 per entry: rank | styles << r | formats << (r + s) [| languages << (r + s + f)]
    # with r, s, f, l the bits each needs (``code_bits``); the languages are in the code when
    # it all fits in 16 bits, else in ``languages`` (the row's mask, smallest unsigned dtype)
    code: np.ndarray
    code_bits: tuple[int, int, int, int]  # r, s, f, l (l = 0: languages not in the code)
    languages: np.ndarray
    span: dict[int, tuple[int, int]]
    block: dict[int, tuple[int, int]]
    by_row: np.ndarray
    row_start: np.ndarray
    # (quality, its feature per entry in the entry's subject) and (weights, quality, the
    # learner-independent part of the bound per entry): the last ones asked (``recommend``)
    quality_cache: tuple[object, np.ndarray] | None = None
    base_cache: tuple[bytes, object, np.ndarray] | None = None

    def subject(self, e: np.ndarray) -> np.ndarray:
        """The subject id of entries ``e``."""
        return self.slot_subject[self.slot[e]]

    @classmethod
    def build(cls, index: TutorIndex) -> Entries:
        order: list[tuple[int, int, int]] = []  # (subject, parent or -1, position among siblings)
        placed: set[int] = set()
        for parent, kids in index.children_of.items():
            for i, sid in enumerate(kids):
                if sid in index.by_subject and sid not in placed:
                    order.append((sid, parent, i))
                    placed.add(sid)
        order.extend((sid, -1, 0) for sid in index.by_subject if sid not in placed)
        sizes = [index.by_subject[sid][0].size for sid, _, _ in order]
        starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
        span = {sid: (int(starts[i]), int(starts[i + 1])) for i, (sid, _, _) in enumerate(order)}
        block: dict[int, tuple[int, int]] = {}
        for i, (_, parent, _) in enumerate(order):
            if parent >= 0:
                a = block.get(parent, (int(starts[i]), 0))[0]
                block[parent] = (a, int(starts[i + 1]))

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        rows = cat([index.by_subject[sid][0] for sid, _, _ in order], np.int64)
        counts = np.array(sizes, dtype=np.int64)
        by_row = np.argsort(rows, kind="stable").astype(np.int32 if rows.size < 2**31 else np.int64)
        rank = cat([index.by_subject[sid][1] for sid, _, _ in order], np.int8)

        def bits(values: np.ndarray) -> int:
            return int(values.max()).bit_length() if values.size else 0

        r = max(1, bits(rank))
        s, f, lb = bits(index.styles), bits(index.formats), bits(index.languages)
        code = (
            rank.astype(np.uint16)
            | (index.styles[rows].astype(np.uint16) << np.uint16(r))
            | (index.formats[rows].astype(np.uint16) << np.uint16(r + s))
        )
        if r + s + f + lb <= 16:
            code |= index.languages[rows].astype(np.uint16) << np.uint16(r + s + f)
            languages = np.zeros(0, dtype=np.uint8)
        else:
            lb = 0
            lang_dtype = np.min_scalar_type(int(index.languages.max()))
            languages = index.languages[rows].astype(lang_dtype)
        return cls(
            rows=rows,
            rank=rank,
            verified=cat([index.by_subject[sid][2] for sid, _, _ in order], np.bool_),
            slot=np.repeat(np.arange(len(order), dtype=np.int32), counts),
            slot_subject=np.array([o[0] for o in order], dtype=np.int64),
            slot_start=starts[:-1],
            slot_parent=np.array([o[1] for o in order], dtype=np.int64),
            slot_child_pos=np.array([o[2] for o in order], dtype=np.int64),
            code=code,
            code_bits=(r, s, f, lb),
            languages=languages,
            span=span,
            block=block,
            by_row=by_row,
            row_start=np.searchsorted(rows[by_row], np.arange(index.size + 1)),
        )
