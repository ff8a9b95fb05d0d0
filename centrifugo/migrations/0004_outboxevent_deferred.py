"""The outbox row's `deferred` values: a large payload (read_all's ids) is completed by the relay, not the request."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("centrifugo", "0003_outbox_data_uncompressed")]

    operations = [
        migrations.AddField(
            model_name="outboxevent", name="deferred", field=models.JSONField(blank=True, null=True)
        ),
    ]
