from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("chat_messages", "0010_sender_chat_index")]

    operations = [
        migrations.AddField(
            model_name="messagefile",
            name="name",
            field=models.CharField(default="", max_length=255),
            preserve_default=False,
        ),
        # Files stored before: their original name was not kept, so they show the stored one.
        migrations.RunSQL(
            "UPDATE chat_messages_messagefile SET name = regexp_replace(item, '^.*/', '') WHERE name = ''",
            migrations.RunSQL.noop,
        ),
    ]
