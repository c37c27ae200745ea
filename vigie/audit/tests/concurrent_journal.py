"""Run by test_journal_threads in a process of its own, on a fresh SQLite file: threads
append to the journal at once, as the web's threads and the other processes do."""

from __future__ import annotations

import json
import os
import threading

THREADS = 8
ENTRIES = 40


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from vigie.audit.models import JournalEntry
    from vigie.audit.services import journal, verify_chain
    from vigie.core import actors

    call_command("migrate", verbosity=0)
    errors: list[str] = []

    def append() -> None:
        try:
            with actors.acting_as(actors.system("job:test")):
                for n in range(ENTRIES):
                    journal("test.concurrency", details={"n": n})
        except Exception as exc:  # what the test reports
            errors.append(repr(exc)[:200])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    broken = verify_chain()
    found = JournalEntry.objects.filter(action="test.concurrency").count()
    print(json.dumps({"errors": errors, "broken": str(broken or ""), "entries": found}))


if __name__ == "__main__":
    main()
