"""What the tests share: plain functions and data, no fixtures (those are in conftest.py).

- `clock`: the bureau's time zone, `local()` and a clock the test moves.
- `db`: which database backends the tests run on.
- `org`: the bureau of the tests (departments, people, group chats) and `actor_of`.
- `desk`: a driver for the workflow core.
- `bot`: steps of a conversation with the bot (registering a 12345 ticket, finding a button).
- `scheduler`: one scan of the deadline planner at a given time.
- `audit`: where the audit log ends, and what was written after a mark.

Test modules import from here, never from one another.
"""
