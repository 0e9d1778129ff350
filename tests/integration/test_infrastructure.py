"""The test fixtures themselves: isolation, query counting, factories, enqueue after commit."""

from redis import Redis
from sqlalchemy import func, select

from cityreport.departments.models import Department
from cityreport.extensions import db
from cityreport.queue import enqueue_after_commit, get_queue


def test_commits_inside_a_test_are_rolled_back_afterwards_part_1(db_session, make_department):
    make_department(slug="isolation-probe")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Department).where(
        Department.slug == "isolation-probe")) == 1


def test_commits_inside_a_test_are_rolled_back_afterwards_part_2(db_session):
    assert db.session.scalar(select(func.count()).select_from(Department).where(
        Department.slug == "isolation-probe")) == 0


def test_count_queries_counts_statements(db_session, count_queries, make_department):
    make_department()
    with count_queries() as counter:
        db.session.scalars(select(Department)).all()
        db.session.scalars(select(Department).limit(1)).all()
    assert counter.count == 2


def test_factories_take_overrides(create_report, make_category, make_department):
    dept = make_department(slug="roads")
    category = make_category(code="pothole", default_department=dept)
    report = create_report(category=category, description="big hole")
    assert report.department_id == dept.id
    assert report.description == "big hole"
    assert [e.kind for e in report.events] == ["created", "routed"]


def test_enqueue_waits_for_commit_and_is_dropped_on_rollback(db_session, redis_conn: Redis):
    queue = get_queue("default")
    enqueue_after_commit(db.session, "builtins.print", "after rollback")
    db.session.rollback()
    assert queue.count == 0
    enqueue_after_commit(db.session, "builtins.print", "after commit")
    assert queue.count == 0
    db.session.commit()
    assert queue.count == 1


def test_enqueue_with_redis_unreachable_does_not_fail_the_commit(app, db_session):
    from redis import Redis as RedisClient
    from rq import Queue

    saved = app.extensions["rq_queues"]
    dead = RedisClient.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    app.extensions["rq_queues"] = {name: Queue(name, connection=dead) for name in saved}
    try:
        enqueue_after_commit(db.session, "builtins.print", "lost?")
        db.session.commit()  # must not raise
    finally:
        app.extensions["rq_queues"] = saved
