from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="pointspolicy",
            name="pending_days",
            field=models.PositiveIntegerField(
                default=0, verbose_name="earned points pending for days"
            ),
        ),
    ]
