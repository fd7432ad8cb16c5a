"""`xietong` — the administrators' command line (INT-6).

    xietong setup              migrate and seed the working calendar
    xietong demo               load the demo company (XIETONG_DEMO=1 only)
    xietong import-org FILE    import departments and people (.xlsx or .csv)
    xietong calendar ...       inspect / seed the working calendar
    xietong audit verify       check the audit trail (hash chains, seals, anchors)
    xietong worker             run a background worker (jobs, outbox, sweeps)
    xietong health             is the database up and a worker running? (exit 1 if not)
    xietong sweep              run the periodic sweeps once, now
    xietong <django command>   any manage.py command (runserver, createsuperuser …)
"""

import os
import sys

ALIASES = {
    "setup": "xietong_setup",
    "demo": "load_demo",
    "import-org": "import_org",
    "calendar": "calendar",
    "verify-audit": "verify_audit",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    command = ALIASES.get(argv[0], argv[0])
    execute_from_command_line(["xietong", command, *argv[1:]])


if __name__ == "__main__":
    main()
