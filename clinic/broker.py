"""The embedded broker: kombu's filesystem transport, made safe for several processes at once.

``python3 dev.py serve`` runs the site, a Celery worker and the beat as separate processes with no
broker server: messages are files in ``var/broker/``. kombu's own filesystem transport is not safe
for that (its worker died with ``JSONDecodeError`` after some minutes: issue 12):

- it creates a message file under its final name and only then writes it, so a consumer listing
  the folder can read it half-written, and a bad file stops the worker for good;
- its exchange tables (used by remote control, mingle and gossip) are rewritten in place;
- it deletes a message as soon as it is read, so a worker killed mid-task loses the task that
  ``acks_late`` was meant to keep.

This transport writes every file under a temporary name and renames it into place (atomic on one
filesystem), claims a message by renaming it into its own ``unacked/<consumer>/`` folder (only
one consumer can win a rename), deletes it on acknowledgement, and puts back what a dead consumer
left unacknowledged: a consumer holds an exclusive lock on its folder while it lives, and the
kernel releases that lock when the process dies, even by ``kill -9``. So the worker's lost task is
redelivered, as Redis would redeliver it after its visibility timeout, and the outbox's claims
settle what it had started (docs/aftercare.md). A file that still cannot be read is set aside in
``bad/`` with a log line instead of stopping the worker. Remote control, mingle and gossip stay
off on this transport anyway (clinic/settings.py, dev.py): they need nothing but add writers.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from pathlib import Path
from queue import Empty

from kombu.transport import filesystem
from kombu.transport.virtual import QoS as BaseQoS
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

RECOVER_EVERY = 5.0  # seconds between looks for what dead consumers left unacknowledged


class QoS(BaseQoS):
    """Acknowledging deletes the claimed file; rejecting with requeue puts it back in the queue.

    Nothing is restored from memory at shutdown: the files in our unacked folder are the truth,
    and are put back by ``Channel.close`` (a clean stop) or by the next consumer (a crash).
    """

    restore_at_shutdown = False

    def ack(self, delivery_tag):
        self.channel._forget(delivery_tag, requeue=False)
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        self.channel._forget(delivery_tag, requeue=requeue)
        self._quick_ack(delivery_tag)


class Channel(filesystem.Channel):
    QoS = QoS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._claimed: dict[str, Path] = {}  # delivery tag -> its file in our unacked folder
        self._lock_file = None
        self._own_folder: Path | None = None
        self._last_recovery = 0.0

    # --- folders -------------------------------------------------------------------------

    @property
    def _root(self) -> Path:
        return Path(self.data_folder_in).parent

    def _folder(self, name: str) -> Path:
        folder = self._root / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _own(self) -> Path:
        """This consumer's unacked folder, locked for as long as this process lives."""
        if self._own_folder is None:
            folder = self._folder("unacked") / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
            folder.mkdir()
            self._lock_file = open(folder / ".lock", "w")
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            self._own_folder = folder
        return self._own_folder

    def _write_atomically(self, path: Path, data: bytes) -> None:
        tmp = self._folder("tmp") / f"{uuid.uuid4().hex}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    # --- publishing ------------------------------------------------------------------------

    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(time.monotonic() * 1000)):015d}_{uuid.uuid4()}.{queue}.msg"
        try:
            self._write_atomically(Path(self.data_folder_out) / name, str_to_bytes(dumps(payload)))
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add a message to {self.data_folder_out!r}") from exc

    # --- consuming --------------------------------------------------------------------------

    def _get(self, queue):
        self._recover_from_dead_consumers()
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for filename in sorted(os.listdir(folder)):
            if filename.partition(".")[2] != wanted:
                continue
            claimed = self._own() / filename
            try:
                os.rename(folder / filename, claimed)  # only one consumer wins this
            except FileNotFoundError:
                continue  # another consumer took it
            try:
                payload = loads(bytes_to_str(claimed.read_bytes()))
                tag = payload["properties"]["delivery_tag"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                os.replace(claimed, self._folder("bad") / filename)
                log.error("broker file %s could not be read (%s); set aside in bad/", filename, exc)
                continue
            self._claimed[tag] = claimed
            return payload
        raise Empty()

    def _forget(self, delivery_tag, *, requeue: bool) -> None:
        claimed = self._claimed.pop(delivery_tag, None)
        if claimed is None:
            return
        try:
            if requeue:
                os.rename(claimed, Path(self.data_folder_in) / claimed.name)
            else:
                claimed.unlink()
        except FileNotFoundError:
            pass

    def _recover_from_dead_consumers(self) -> None:
        """Put back the messages of consumers that died before acknowledging them."""
        now = time.monotonic()
        if now - self._last_recovery < RECOVER_EVERY:
            return
        self._last_recovery = now
        for folder in self._folder("unacked").iterdir():
            if folder == self._own_folder or not folder.is_dir():
                continue
            lock_path = folder / ".lock"
            try:
                lock = open(lock_path, "a")
            except FileNotFoundError:
                continue
            with lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its consumer is alive
                restored = 0
                for message in folder.glob("*.msg"):
                    os.rename(message, Path(self.data_folder_in) / message.name)
                    restored += 1
                lock_path.unlink(missing_ok=True)
                try:
                    folder.rmdir()
                except OSError:
                    pass
            if restored:
                log.warning("put back %d unacknowledged broker message(s) of a consumer that stopped", restored)

    def close(self):
        # A clean stop: what we hold goes back to the queue for the next consumer.
        for tag in list(self._claimed):
            self._forget(tag, requeue=True)
        if self._own_folder is not None:
            (self._own_folder / ".lock").unlink(missing_ok=True)
            try:
                self._own_folder.rmdir()
            except OSError:
                pass
            self._lock_file.close()
            self._own_folder = None
        super().close()

    # --- exchange tables (fanout), rewritten atomically under a lock ------------------------

    def _table_lock(self, exchange):
        lock = open(self._folder("control") / f"{exchange}.lock", "a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        return lock

    def get_table(self, exchange):
        try:
            data = self._exchange_file(exchange).read_bytes()
        except FileNotFoundError:
            return []
        return [filesystem.exchange_queue_t(*q) for q in json.loads(bytes_to_str(data) or "[]")]

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(exchange):
            table = self.get_table(exchange)
            if entry not in table:
                table.insert(0, entry)
                self._write_atomically(self._exchange_file(exchange), str_to_bytes(dumps(table)))

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        super(filesystem.Channel, self)._delete(queue, exchange, routing_key, pattern, *args, **kwargs)
        entry = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with self._table_lock(exchange):
            table = self.get_table(exchange)
            if entry in table:
                table.remove(entry)
                self._write_atomically(self._exchange_file(exchange), str_to_bytes(dumps(table)))

    @property
    def control_folder(self):
        return self._folder("control")


class Transport(filesystem.Transport):
    Channel = Channel
