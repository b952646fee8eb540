"""The bureau of the tests: its departments, people and group chats."""

from __future__ import annotations

from bot.workflow import Actor
from storage import queries

ORGANISATION = {
    "departments": [
        {"code": "office", "name": "局办公室", "office": True},
        {"code": "jiuzhu", "name": "社会救助科", "categories": ["社会救助"]},
        {"code": "yanglao", "name": "养老服务科", "categories": ["养老服务"]},
        {"code": "quhua", "name": "区划地名科", "categories": ["区划地名"]},
    ],
    "members": [
        {"name": "王芳", "telegram_id": 1001, "roles": ["office"]},
        {"name": "赵敏", "telegram_id": 1002, "roles": ["office"]},
        {"name": "李强", "telegram_id": 2001, "department": "jiuzhu", "roles": ["handler"]},
        {"name": "陈刚", "telegram_id": 2002, "department": "jiuzhu", "roles": ["business_leader"]},
        {"name": "钱进", "telegram_id": 2003, "department": "jiuzhu", "roles": ["business_leader"]},
        {"name": "周丽", "telegram_id": 3001, "department": "yanglao", "roles": ["handler"]},
        {"name": "吴军", "telegram_id": 3002, "department": "yanglao", "roles": ["business_leader"]},
        {"name": "冯涛", "telegram_id": 5001, "department": "quhua", "roles": ["handler"]},
        {"name": "孙伟", "telegram_id": 4001, "roles": ["petition_leader"]},
        {"name": "郑华", "telegram_id": 4002, "roles": ["main_leader"]},
        {"name": "管理员", "telegram_id": 9001, "roles": ["admin"]},
    ],
}
PEOPLE = {m["name"]: m["telegram_id"] for m in ORGANISATION["members"]}  # name -> Telegram user id

# the group chats of the bureau: (name in the transcript, chat id, department code)
GROUPS = [("局办公室群", -1001, "office"), ("社会救助科群", -1002, "jiuzhu"), ("养老服务科群", -1003, "yanglao"),
          ("区划地名科群", -1004, "quhua")]


def actor_of(db, telegram_id: int) -> Actor:
    """The workflow actor of the member with this Telegram id."""
    with db.session() as session:
        return Actor.load(session, queries.member_by_telegram_id(session, telegram_id).id)
