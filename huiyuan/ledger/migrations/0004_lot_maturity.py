# Pending points (P1): a lot may mature later; the maturation job marks it once.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_opening_accounts"),
    ]

    operations = [
        migrations.AddField(
            model_name="lot",
            name="matures_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="lot",
            name="matured_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(
                condition=models.Q(("matured_at__isnull", True), ("matures_at__isnull", False)),
                fields=["matures_at"],
                name="ledger_lot_pending",
            ),
        ),
    ]
