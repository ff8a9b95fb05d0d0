"""Search: a generated tsvector (Russian and English stemming) with a GIN index, and a trigram index on UPPER(text)
(the expression Django's `icontains` compares) for short and partial words; pg_trgm comes from users 0003."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('chat_messages', '0004_reactions_and_pins'),
        ('chats', '0002_membership_fillfactor'),
        ('users', '0003_search_trigram_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='search_vector',
            field=models.GeneratedField(db_persist=True, expression=django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.SearchVector('text', config='russian'), '||', django.contrib.postgres.search.SearchVector('text', config='english'), django.contrib.postgres.search.SearchConfig('russian')), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        migrations.AddIndex(
            model_name='message',
            index=django.contrib.postgres.indexes.GinIndex(fields=['search_vector'], name='message_search_idx'),
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS message_text_trgm_idx ON chat_messages_message "
            "USING gin (UPPER(text::text) gin_trgm_ops)",
            "DROP INDEX IF EXISTS message_text_trgm_idx",
        ),
    ]
