from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("annotation", "0002_span_inside_text_trigger")]

    operations = [
        migrations.AddField(
            model_name="intent",
            name="in_domain",
            field=models.BooleanField(default=True),
        ),
    ]
