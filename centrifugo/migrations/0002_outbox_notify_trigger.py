"""Wake the relay (LISTEN centrifugo_outbox) when a transaction that inserted outbox rows commits.

NOTIFY is transactional: it is delivered at commit, never for a rolled-back insert, and identical notifications
of one transaction are folded into one. A statement-level trigger costs one notification per INSERT statement.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION centrifugo_outbox_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('centrifugo_outbox', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS centrifugo_outbox_notify ON centrifugo_outboxevent;
CREATE TRIGGER centrifugo_outbox_notify AFTER INSERT ON centrifugo_outboxevent
    FOR EACH STATEMENT EXECUTE FUNCTION centrifugo_outbox_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS centrifugo_outbox_notify ON centrifugo_outboxevent;
DROP FUNCTION IF EXISTS centrifugo_outbox_notify();
"""


class Migration(migrations.Migration):
    dependencies = [("centrifugo", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP, elidable=False)]
