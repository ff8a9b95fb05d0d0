# The unique index is built concurrently: sends go on meanwhile (the column is new, so it indexes no row yet).

from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("chat_messages", "0011_file_name")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="client_key",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS message_sender_client_key_uniq "
                    "ON chat_messages_message (sender_id, client_key) WHERE client_key IS NOT NULL",
                    "DROP INDEX CONCURRENTLY IF EXISTS message_sender_client_key_uniq",
                )
            ],
            state_operations=[
                migrations.AddConstraint(
                    model_name="message",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(client_key__isnull=False),
                        fields=["sender", "client_key"],
                        name="message_sender_client_key_uniq",
                    ),
                )
            ],
        ),
    ]
