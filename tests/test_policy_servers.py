"""The policy snapshot with several app servers (policy/snapshot.py): a
change one server commits is seen by the others at their next request.
Transactional (the other server must see committed rows), so it lives with
the suite's other transactional tests, after the rolled-back ones."""

from xietong import memo
from xietong.policy.actions import parameter_set
from xietong.policy.queries import param

KEY = "meeting.minutes_due_hours"


def test_a_change_committed_by_another_server_is_seen_at_the_next_request(transactional_db, company):
    """Another app server (here a thread with its own connection) commits a
    change: this process's snapshot is stale, and the token says so."""
    import threading

    from django.db import connections

    parameter_set(actor=company.admin, key=KEY, raw_value="12", reason="提速")
    with memo.scope():
        assert param(KEY) == 12  # this process now keeps the snapshot of that token

    other = "request.default_due_working_days"
    before = param(other)

    def other_server() -> None:  # (one change per parameter and day: another parameter)
        try:
            parameter_set(actor=company.admin, key=other, raw_value=str(before + 2), reason="放宽")
        finally:
            connections.close_all()

    writer = threading.Thread(target=other_server)
    writer.start()
    writer.join()
    with memo.scope():  # the next request
        assert param(other) == before + 2
        assert param(KEY) == 12
